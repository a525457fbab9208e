//! The card agent's frame reader and message decoders (cie-agent `frame`, `message`): the
//! input is what a hostile client (or a hostile agent, for the client's reply decoder) writes
//! on the socket. Every frame is read with the 64 KiB limit, then decoded as a request and as
//! a reply; a request that decodes must encode back to exactly the bytes it came from.
#![no_main]

use cie_agent::frame::read_frame;
use cie_agent::{Reply, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut stream = data;
    // At most 16 frames per input: the rest of a long input is one more frame at most.
    for _ in 0..16 {
        let Ok(body) = read_frame(&mut stream) else { return };
        if let Ok(request) = Request::decode(&body) {
            assert_eq!(&request.encode()[..], &body[..], "{request:?} re-encodes differently");
            let _ = request.reader();
        }
        if let Ok(reply) = Reply::decode(&body) {
            let again = reply.encode();
            assert!(Reply::decode(&again).is_ok(), "{reply:?} does not decode after encoding");
        }
    }
});
