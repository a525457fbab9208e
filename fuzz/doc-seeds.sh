#!/usr/bin/env bash
# Re-creates the document-side seeds made by third-party software (fuzz/README.md, "Document
# seeds"): `.p7m`/`.p7s` files signed by `openssl cms`, PDFs signed by pyHanko and re-written by
# qpdf, with the test PKI's keys (cie-sim/fixtures) and throwaway keys made here.
#
#   fuzz/doc-seeds.sh [PYHANKO]   # PYHANKO: the pyhanko executable (default: the venv that
#                                 # `cargo xtask install-deps` makes, target/pyhanko-venv)
#
# Needs openssl, qpdf, python3 and pyHanko (`pyHanko[pkcs11]==0.38.0 pyhanko-cli==0.6.0`).
# Signatures carry the signing time, so each run writes different bytes (the same shapes).
# The seeds from our own signer and the hand-built hostile files are written by
# `cargo xtask fuzz-seeds` (which runs this script too).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$root/cie-sim/fixtures
seeds=$root/fuzz/seeds
pyhanko=${1:-${CARGO_TARGET_DIR:-$root/target}/pyhanko-venv/bin/pyhanko}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

mkdir -p "$seeds/cms_verify" "$seeds/pdf_verify" "$seeds/p7m_extract"

# Keys and certificates as PEM: the citizen (key 81, issued by the citizen CA, which the fuzz
# targets trust for some inputs), the Document Signer (issued by the CSCA), and throwaway keys.
openssl x509 -inform DER -in "$fixtures/ef_1003_citizen.der" -out cit.pem
openssl rsa -inform DER -in "$fixtures/key81.der" -out cit.key 2>/dev/null
openssl x509 -inform DER -in "$fixtures/citizen_ca.der" -out ca.pem
openssl x509 -inform DER -in "$fixtures/document_signer.der" -out ds.pem
openssl rsa -inform DER -in "$fixtures/document_signer_key.der" -out ds.key 2>/dev/null
openssl x509 -inform DER -in "$fixtures/csca.der" -out csca.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.pem \
  -subj "/CN=throwaway EC" -days 3650 2>/dev/null
openssl req -x509 -newkey rsa:1024 -nodes -keyout small.key -out small.pem \
  -subj "/CN=throwaway RSA-1024" -days 3650 2>/dev/null

printf 'Contenuto firmato per il fuzzing.\n' >content.txt
printf '%%PDF-1.4 not really\n' >content.pdf

# `[mode][bytes]` seed for cms_verify (mode: bit 0 trust; bits 1-2 operation, see the target).
cms() { # cms NAME MODE FILE
  { printf "\\x$(printf %02x "$2")"; cat "$3"; } >"$seeds/cms_verify/$1"
}
# detached seed: [mode][2-byte length][content][p7s]
cms_detached() { # cms_detached NAME MODE CONTENT P7S
  local n
  n=$(stat -c %s "$3")
  { printf "\\x$(printf %02x "$2")\\x$(printf %02x $((n >> 8)))\\x$(printf %02x $((n & 255)))"; cat "$3" "$4"; } \
    >"$seeds/cms_verify/$1"
}
sign() { # sign OUT ARGS... (openssl cms -sign, DER)
  local out=$1
  shift
  openssl cms -sign -binary -outform DER -out "$out" "$@"
}

# Enveloping, DER, several digests and shapes.
sign env_sha256.p7m -nodetach -in content.txt -signer cit.pem -inkey cit.key -md sha256
sign env_sha1.p7m -nodetach -in content.txt -signer cit.pem -inkey cit.key -md sha1
sign env_sha512.p7m -nodetach -in content.pdf -signer cit.pem -inkey cit.key -md sha512
sign env_cades.p7m -nodetach -cades -in content.txt -signer cit.pem -inkey cit.key -md sha256
sign env_noattr.p7m -nodetach -noattr -in content.txt -signer cit.pem -inkey cit.key
sign env_nocerts.p7m -nodetach -nocerts -in content.txt -signer cit.pem -inkey cit.key
sign env_pss.p7m -nodetach -in content.txt -signer cit.pem -inkey cit.key -keyopt rsa_padding_mode:pss
sign env_ec.p7m -nodetach -in content.txt -signer ec.pem -inkey ec.key -md sha384
# Signature algorithms (cie-sign/src/algorithms.rs): P-384, P-521 with a digest shorter than the
# curve, brainpoolP256r1 (brainpool.rs), RSA with SHA3-256, RSA-PSS with SHA-512 and salt 32,
# MD5 (refused as weak).
for curve in P-384 P-521 brainpoolP256r1; do
  openssl req -x509 -newkey ec -pkeyopt "ec_paramgen_curve:$curve" -nodes -keyout "$curve.key" \
    -out "$curve.pem" -subj "/CN=throwaway $curve" -days 3650 2>/dev/null
done
sign env_p384.p7m -nodetach -in content.txt -signer P-384.pem -inkey P-384.key -md sha384
sign env_p521_sha256.p7m -nodetach -in content.txt -signer P-521.pem -inkey P-521.key -md sha256
sign env_brainpool.p7m -nodetach -in content.txt -signer brainpoolP256r1.pem -inkey brainpoolP256r1.key
sign env_sha3.p7m -nodetach -in content.txt -signer small.pem -inkey small.key -md sha3-256
sign env_pss_sha512.p7m -nodetach -in content.txt -signer small.pem -inkey small.key -md sha512 \
  -keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:32
sign env_md5.p7m -nodetach -in content.txt -signer small.pem -inkey small.key -md md5
sign env_two_signers.p7m -nodetach -in content.txt -signer cit.pem -inkey cit.key \
  -signer ds.pem -inkey ds.key -certfile csca.pem -certfile ca.pem
sign env_empty.p7m -nodetach -in /dev/null -signer small.pem -inkey small.key
# An envelope inside an envelope (busta nella busta), and a .p7m of a signed PDF (below).
sign env_nested.p7m -nodetach -in env_sha256.p7m -signer small.pem -inkey small.key
# Detached.
sign det_sha256.p7s -in content.txt -signer cit.pem -inkey cit.key
sign det_sha512_two.p7s -in content.txt -signer cit.pem -inkey cit.key -md sha512 \
  -signer small.pem -inkey small.key -certfile ca.pem
sign det_cades.p7s -cades -in content.txt -signer cit.pem -inkey cit.key
# PEM, and the Base64 body alone (as some tools write .p7m files).
openssl cms -sign -binary -nodetach -outform PEM -in content.txt -signer cit.pem -inkey cit.key -out env.pem
grep -v -- ----- env.pem >env.b64
# Hostile: many SignerInfos and certificates (40 throwaway P-256 signers) and extra certificates.
args=()
for i in $(seq 40); do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "m$i.key" -out "m$i.pem" \
    -subj "/CN=signer $i" -days 3650 2>/dev/null
  args+=(-signer "m$i.pem" -inkey "m$i.key")
done
sign many_signers.p7m -nodetach -noattr -in content.txt "${args[@]}" -certfile ca.pem -certfile csca.pem

cms openssl_env_sha256 0 env_sha256.p7m
cms openssl_env_nested_trust 1 env_nested.p7m
cms openssl_env_sha256_trust 1 env_sha256.p7m
# The same with SHA-256 (NULL parameters) added twice to digestAlgorithms, as esig/dss's
# DSS-768 file repeats it once per signer (signed_data.rs reads it; in memory and streamed).
cat >dup_algs.py <<'EOF'
import sys
# Writes the SignedData of sys.argv[1] with SHA-256 (with NULL parameters) added twice to its
# digestAlgorithms (as esig/dss's DSS-768 file repeats it once per signer), after the mode
# byte sys.argv[3].
def tlv(b, i):
    l = b[i + 1]
    if l < 0x80:
        return i + 2, l
    if l == 0x80:
        return i + 2, None
    n = l & 0x7f
    return i + 2 + n, int.from_bytes(b[i + 2:i + 2 + n], 'big')
def head(tag, n):
    if n is None:
        return bytes([tag, 0x80])
    if n < 0x80:
        return bytes([tag, n])
    nb = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([tag, 0x80 | len(nb)]) + nb
def end(b, i):
    c, n = tlv(b, i)
    assert n is not None
    return c + n
def grow(b, i, inner):
    # b[i] is a TLV holding, from its content start, `inner` (new bytes) in place of the old.
    c, n = tlv(b, i)
    return head(b[i], None if n is None else n + len(inner[1]) - len(inner[0])), c
data = open(sys.argv[1], 'rb').read()
ci_c, ci_n = tlv(data, 0)
oid_end = end(data, ci_c)
ex_c, ex_n = tlv(data, oid_end)
sd_c, sd_n = tlv(data, ex_c)
set_i = end(data, sd_c)
set_c, set_n = tlv(data, set_i)
first_end = end(data, set_c)
extra = bytes.fromhex('300d06096086480165030402010500') * 2
def L(n):
    return None if n is None else n + len(extra)
out = (head(data[0], L(ci_n)) + data[ci_c:oid_end] + head(data[oid_end], L(ex_n)) + head(data[ex_c], L(sd_n))
       + data[sd_c:set_i] + head(data[set_i], set_n + len(extra)) + data[set_c:set_c + set_n] + extra
       + data[set_c + set_n:])
open(sys.argv[2], 'wb').write(bytes([int(sys.argv[3])]) + out)
EOF
python3 dup_algs.py env_sha256.p7m "$seeds/cms_verify/openssl_env_digest_algorithms_repeated" 0
python3 dup_algs.py env_sha256.p7m "$seeds/cms_verify/openssl_env_digest_algorithms_repeated_streamed" 4
cms openssl_env_sha1_trust 1 env_sha1.p7m
cms openssl_env_sha512_trust 1 env_sha512.p7m
cms openssl_env_cades_trust 1 env_cades.p7m
cms openssl_env_noattr_trust 1 env_noattr.p7m
cms openssl_env_nocerts 0 env_nocerts.p7m
cms openssl_env_pss_trust 1 env_pss.p7m
cms openssl_env_ec 0 env_ec.p7m
for a in p384 p521_sha256 brainpool sha3 pss_sha512 md5; do cms "openssl_env_alg_$a" 0 "env_$a.p7m"; done
cms openssl_env_two_signers_trust 1 env_two_signers.p7m
cms openssl_env_empty 0 env_empty.p7m
cms openssl_stream_sha256_trust 5 env_sha256.p7m
cms openssl_stream_two_signers 4 env_two_signers.p7m
cms openssl_stream_sha1_trust 5 env_sha1.p7m
cms openssl_parse_cades 6 env_cades.p7m
cms openssl_parse_pem 6 env.pem
cms openssl_env_base64_trust 1 env.b64
cms openssl_many_signers 1 many_signers.p7m
cms openssl_stream_many_signers 5 many_signers.p7m
cms_detached openssl_det_sha256_trust 3 content.txt det_sha256.p7s
cms_detached openssl_det_sha512_two_trust 3 content.txt det_sha512_two.p7s
cms_detached openssl_det_cades 2 content.txt det_cades.p7s
cms openssl_det_without_content 1 det_sha256.p7s

for f in env_sha256.p7m env_sha512.p7m env_two_signers.p7m env_empty.p7m env.b64 env_nocerts.p7m env_nested.p7m det_sha256.p7s many_signers.p7m; do
  cp "$f" "$seeds/p7m_extract/openssl_${f//./_}"
done

# BER (`openssl cms -sign -stream`): indefinite lengths, the content in 4 KiB chunks.
yes 'Contenuto firmato in blocchi BER. ' | head -c 10000 >chunks.txt
openssl cms -sign -stream -binary -nodetach -outform DER -in chunks.txt -signer cit.pem -inkey cit.key -md sha256 \
  -out ber_env.p7m
openssl cms -sign -stream -binary -outform DER -in content.txt -signer cit.pem -inkey cit.key -out ber_det.p7s
cms openssl_ber_env_trust 1 ber_env.p7m
cms openssl_ber_stream_trust 5 ber_env.p7m
cms openssl_ber_parse 6 ber_env.p7m
cms_detached openssl_ber_det_trust 3 content.txt ber_det.p7s
cp ber_env.p7m "$seeds/p7m_extract/openssl_ber_env_p7m"
# The third-party BER files of cie-sign's test corpus (esig/dss, LGPL-2.1) under 64 KiB.
for f in "$root"/cie-sign/tests/corpus/ber/*.p7m; do
  if [ "$(stat -c %s "$f")" -le 65536 ]; then
    name=dss_ber_$(basename "$f" .p7m)
    cms "${name//./_}" 4 "$f"
    cp "$f" "$seeds/p7m_extract/${name//./_}"
  fi
done

# CAdES archive time-stamps (esig/dss, LGPL-2.1): v3 with ats-hash-index (enveloping), v2 over
# a detached signature and its content.
dss=$root/cie-sign/tests/corpus/esig-dss
cms dss_archive_v3 4 "$dss/cades-CAdESDoubleLTA.p7m"
cms_detached dss_archive_v2_detached 3 "$dss/cades-dss-2011-data.txt" "$dss/cades-dss-2011-cades-tstv2-detached.p7s"

# PDFs: a small hand-written one, normalised by qpdf, signed by pyHanko, re-written by qpdf.
cat >hand.pdf <<'EOF'
%PDF-1.7
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >> endobj
4 0 obj << /Length 35 >> stream
BT /F1 12 Tf 20 100 Td (CIE) Tj ET
endstream endobj
trailer << /Root 1 0 R /Size 5 >>
EOF
qpdf hand.pdf base.pdf || [ $? -eq 3 ]               # qpdf rebuilds the missing xref (warning)
qpdf --object-streams=generate base.pdf objstm.pdf
qpdf --qdf base.pdf qdf.pdf
qpdf --linearize base.pdf linear.pdf
qpdf base.pdf --pages base.pdf base.pdf -- twopages.pdf
export PYTHONWARNINGS=ignore
ph() { "$pyhanko" sign addsig "$@" >/dev/null 2>&1; }
ph --field 1/10,10,100,50/Sig1 pemder --no-pass --key cit.key --cert cit.pem base.pdf ph_signed.pdf
ph --use-pades --field 1/10,10,100,50/Sig1 pemder --no-pass --key cit.key --cert cit.pem objstm.pdf ph_pades_objstm.pdf
ph --field 1/10,60,100,100/Sig2 pemder --no-pass --key ds.key --cert ds.pem ph_signed.pdf ph_two_sigs.pdf
ph --use-pades --field 1/10,10,100,50/Sig1 pemder --no-pass --key ec.key --cert ec.pem twopages.pdf ph_ec.pdf
ph --use-pades --prefer-pss --field 1/0,0,0,0/Invisible pemder --no-pass --key cit.key --cert cit.pem linear.pdf ph_pss_linear.pdf
ph --certify --field 1/10,10,100,50/Cert pemder --no-pass --key cit.key --cert cit.pem qdf.pdf ph_certify_qdf.pdf
# A signed PDF re-saved by qpdf (object streams: the signature's bytes move) and extended by an
# incremental update (qpdf cannot append: a new object, xref and trailer written here).
qpdf --object-streams=generate ph_signed.pdf ph_signed_resaved.pdf
qpdf ph_signed.pdf --pages ph_signed.pdf 1 -- ph_signed_pages_rewritten.pdf
python3 - ph_signed.pdf ph_signed_incremental.pdf <<'EOF'
import re, sys
data = open(sys.argv[1], 'rb').read()
prev = int(re.findall(rb'startxref\s+(\d+)', data)[-1])
size = max(int(s) for s in re.findall(rb'/Size (\d+)', data))
root = re.findall(rb'/Root (\d+ \d+ R)', data)[-1]
body = b'\n%d 0 obj\n<< /Producer (incremental update) >>\nendobj\n' % size
off = len(data) + 1
xref = len(data) + len(body)
tail = b'xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (
    size, off, size + 1, root, size, prev, xref)
open(sys.argv[2], 'wb').write(data + body + tail)
EOF
for f in base objstm qdf linear twopages ph_signed ph_pades_objstm ph_two_sigs ph_ec ph_pss_linear \
  ph_certify_qdf ph_signed_resaved ph_signed_pages_rewritten ph_signed_incremental; do
  src=$f.pdf
  case $f in ph_*) name=pyhanko_${f#ph_} ;; *) name=qpdf_$f ;; esac
  { printf '\x01'; cat "$src"; } >"$seeds/pdf_verify/$name"
done
{ printf '\x00'; cat ph_two_sigs.pdf; } >"$seeds/pdf_verify/pyhanko_two_sigs_no_trust"
# Damaged and hybrid cross-reference tables, which the verifier rebuilds from a scan of the
# objects (cie-sign/tests/corpus/xref, pyHanko's test files signed by pyHanko), and the
# incremental update above with its startxref pointing 7 bytes too far.
for f in badxref startxref-obo4 hybrid-xref-mswordstyle; do
  { printf '\x00'; cat "$root/cie-sign/tests/corpus/xref/signed-minimal-$f.pdf"; } >"$seeds/pdf_verify/xref_$f"
done
python3 - ph_signed_incremental.pdf "$seeds/pdf_verify/xref_startxref_after_update" <<'EOF'
import re, sys
data = open(sys.argv[1], 'rb').read()
m = list(re.finditer(rb'startxref\s+(\d+)', data))[-1]
data = data[:m.start(1)] + b'%d' % (int(m.group(1)) + 7) + data[m.end(1):]
open(sys.argv[2], 'wb').write(b'\x00' + data)
EOF
# A .p7m whose content is a signed PDF (its signatures are verified as level 1/n).
sign env_signed_pdf.p7m -nodetach -in ph_signed.pdf -signer small.pem -inkey small.key
cms openssl_env_signed_pdf_trust 1 env_signed_pdf.p7m
# tsa_reply: OpenSSL's TSA (`openssl ts -reply`) answering requests over a known imprint:
# granted (with and without a nonce) and rejected (a digest the TSA does not accept).
mkdir -p "$seeds/tsa_reply"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' >tsa-ext.cnf
openssl req -x509 -newkey rsa:2048 -nodes -keyout tsa-root.key -out tsa-root.pem -subj /CN=fuzz-tsa-root -days 30 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout tsa.key -out tsa.csr -subj /CN=fuzz-tsa 2>/dev/null
openssl x509 -req -in tsa.csr -CA tsa-root.pem -CAkey tsa-root.key -set_serial 7 -days 30 -extfile tsa-ext.cnf -out tsa.pem 2>/dev/null
echo 01 >tsa-serial
printf '[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = tsa-serial\ncrypto_device = builtin\nsigner_cert = tsa.pem\ncerts = tsa-root.pem\nsigner_key = tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha512\naccuracy = secs:1, millisecs:500\nordering = no\ntsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n' >ts.cnf
printf 'cie fuzz imprint' >imprinted
openssl dgst -sha256 -binary imprinted >imprint.bin
tsa_seed() { { cat imprint.bin; printf '\0\0\0\0\0\0\0\0'; cat "$2"; } >"$seeds/tsa_reply/$1"; }
openssl ts -query -data imprinted -sha256 -cert -out q1.tsq
openssl ts -reply -config ts.cnf -queryfile q1.tsq -out r1.tsr 2>/dev/null
tsa_seed openssl_granted r1.tsr
openssl ts -query -data imprinted -sha256 -no_nonce -out q2.tsq
openssl ts -reply -config ts.cnf -queryfile q2.tsq -out r2.tsr 2>/dev/null
tsa_seed openssl_granted_no_nonce r2.tsr
openssl ts -query -data imprinted -sha1 -out q3.tsq
openssl ts -reply -config ts.cnf -queryfile q3.tsq -out r3.tsr 2>/dev/null
tsa_seed openssl_rejected r3.tsr
echo "third-party document seeds written under $seeds"
