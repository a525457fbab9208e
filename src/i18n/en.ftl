# Messages of the cie tool in English (the default language). Every id here is in it.ftl too;
# src/i18n.rs lists them (Msg) with the variables each one takes.

## Error and hint lines (standard error)

error-line = error: { $message }
hint-line = hint: { $hint }

## Card and reader errors

wrong-credential = wrong { $credential }
wrong-credential-tries = wrong { $credential }: { $tries ->
    [one] 1 try left
   *[other] { $tries } tries left
}
credential-blocked = { $credential } blocked
credential-format = { $credential } must be exactly 8 digits
login-required = PIN verification required
no-card = no card in the reader
reader-unavailable = reader unavailable: { $detail }
service-unavailable = { $detail }
card-removed = the card was removed
card-reset = the card was reset
card-busy = card in use by another application
transport-failure = transport failure: { $detail }
not-cie = not a CIE: { $detail }
passive-authentication = passive authentication failed: { $detail }
card-answer = { $detail }
other-failure = { $detail }

## Advice after an error

# The one wording for a CMS signature in BER, in every command (X.690 §8, RFC 5652 §1.1).
-ber-encoding = BER encoding (indefinite lengths or content in chunks, read as CMS allows)
-secret-origin = the first 4 digits are on the receipt the comune gave you when you requested the card, the last 4 in the letter that came with the card
advice-usage = see cie --help
advice-document = check that the file is a PDF or a CAdES .p7m/.p7s signature
advice-invalid = do not rely on this document until its signatures are confirmed
advice-altered = do not rely on this document: it or its signature was changed after it was signed
advice-modified = do not rely on this document: it was changed after it was signed; ask the sender for the signed version
advice-malformed = the signature cannot be checked: ask the sender for a new copy of the signed document
advice-no-chain = the signature is intact but its signer is not confirmed: install the issuing CA in /etc/cie/trust-anchors/ or ~/.config/cie/trust-anchors/, or give it with --ca FILE (docs/VERIFY.md)
advice-chain-failure = a certificate between the signer and the trusted authority cannot be used: the signer is not confirmed
advice-no-signing-certificate = the signature does not carry its signer's certificate: the signer cannot be confirmed
advice-certificate-time = a certificate is not valid at the time of the check, and without a trusted timestamp nothing proves the signature was made while it was: the signature cannot be confirmed today
advice-unsupported-algorithm = this tool does not support the signature's algorithm: check it with another verifier
advice-weak-algorithm = the signature uses an algorithm no longer considered secure: ask the signer for a new signature
advice-no-signature = the file has no signature: ask the sender for the signed version
advice-verify-summary = see each file's report or error above
advice-content-differs = do not take that file as signed: the signature carries its own content, which cie extract writes out
advice-document-unsupported = this tool cannot check this document; a detached signature (.p7s) needs the signed file: give it with --content FILE
advice-trust-anchors = check the CA certificates listed in CIE_TRUST_ANCHORS or installed in /etc/cie/trust-anchors/ and ~/.config/cie/trust-anchors/ (PEM or DER), or ignore them with --no-default-ca
advice-cancelled = run the command again when you are sure of the PIN (cie help pin)
advice-file = check the file name and permissions
advice-pin-last-try = check the PIN (8 digits: { -secret-origin }); one more wrong try blocks it
advice-pin = check the PIN (8 digits: { -secret-origin }) and try again
advice-puk = check the PUK (8 digits: { -secret-origin }) and try again
advice-pin-blocked = unblock the PIN with the PUK: cie pin unblock
advice-puk-blocked = the PUK is blocked too: the card can no longer be unblocked; ask the issuing municipality for a new one
advice-format = PIN and PUK have 8 digits each: { -secret-origin } (cie help pin)
advice-login = this needs the PIN
advice-no-card = put the card on the reader and try again
advice-no-reader = connect a reader and check that the PC/SC service (pcscd) is running; cie readers lists them
advice-service = start the smart-card service: sudo systemctl start pcscd (Debian/Ubuntu package pcscd)
advice-removed = the card was removed: put it back and try again
advice-reset = another application reset the card during the operation: try again
advice-busy = another application holds the card: close it and try again
advice-not-cie = the card in the reader is not a CIE 3.0; use --reader to pick another reader
advice-passive = the data is not vouched for by its EF.SOD (a data group differs, or EF.SOD or its Document Signer is forged or damaged): do not trust this card
advice-transport = check that the reader is connected and the card lies still on it, then try again
advice-card = take the card off the reader, put it back and try again; if this keeps happening with a working reader, the card may be damaged: ask your comune
advice-other = try again; if this keeps happening, report it with the output of cie info

## Files and mistakes

file-error = { $path }: { $detail }
same-output = the output must be another file than the input
raw-without-format = raw signatures are made by cie sign without --format
der-to-terminal = DER is binary: write it to a file with -o FILE
signature-to-terminal = the signature is binary: write it to a file with -o SIG
json-signature-stdout = --json prints a report on standard output: write the signature with -o SIG
new-pins-differ = the two new PINs differ; nothing was changed
secret-on-command-line = { $option }: PIN and PUK are never taken from the command line (other users could see them); type them at the prompt or use --pin-stdin
sign-needs-output = sign needs -o SIG, where to write the signature
stdin-twice = -i - and --pin-stdin both want standard input: give the data as a file
documents-need-files = signed documents are read from and written to files: give -i FILE and -o OUT
cosign-needs-cades = --cosign adds a signature to a .p7m: use it with --format cades
timestamp-needs-document = --timestamp time-stamps a signed document: use it with --format cades, cades-detached or pades
timestamp-needs-http = --timestamp needs the http:// address of an RFC 3161 time-stamping authority (TSA), not { $url }: the token is signed by the TSA, so no https is needed
extract-needs-output = extract needs -o OUT (the file name does not end in .p7m)
verify-content-one-file = --content gives the signed file of one detached signature: verify a single FILE with it, not a directory
no-help-on = no help on "{ $topic }": try cie help or cie help pin
document-error = { $detail }
document-unsupported = { $detail }
content-differs = the content given ({ $file }) differs from the content inside the signature: the signature does not cover it
content-differs-detail = the content given differs from the content inside the signature: the signature does not cover it ({ $detail })
trust-anchors-error = installed trust anchors: { $detail }

## PIN and PUK prompts

prompt-secret = The { $credential } has 8 digits: { -secret-origin }.
prompt-pin = CIE PIN (8 digits):{" "}
prompt-current-pin = current PIN (8 digits):{" "}
prompt-puk = PUK (8 digits):{" "}
prompt-new-pin = new PIN (8 digits):{" "}
prompt-new-pin-again = new PIN again:{" "}
confirm-last-try = one try left: a wrong PIN blocks the card; continue? [y/N]{" "}
last-try-cancelled = the PIN was not tried: it has one try left
no-terminal = no terminal to ask the PIN on; use --pin-stdin to read it from standard input
cannot-read-secret = cannot read the { $credential }: { $detail }
cannot-read-secret-stdin = cannot read the { $credential } from standard input: { $detail }
stdin-ended = standard input ended before the { $credential } (--pin-stdin reads one per line)
cannot-ask = cannot ask on the terminal: { $detail }

## Progress (standard error)

progress = cie: { $step }...
step-connect = connecting to the card in "{ $reader }"
step-search = looking for a CIE in the readers
step-login = opening the secure channel and verifying the PIN
step-pin-status = opening the secure channel to read the PIN status
step-read-serial = reading the card number and the certificate
step-read-certificate = reading the certificate
step-sign-digest = signing the { $hash } digest with the card
step-sign-document = signing { $file } as { $format } with the card
step-change-pin = opening the secure channel and changing the PIN
step-unblock-pin = opening the secure channel, verifying the PUK and setting the new PIN
step-read-sod = reading EF.SOD and the data it covers
# Beside a bar on the terminal: the time left, then what the bar counts.
progress-left = { $eta } left
progress-hashing = hashing { $file }
progress-reading = reading { $file }
progress-verifying = verifying { $file }
progress-extracting = extracting the content of { $file }

## cie info

info-reader = reader:       { $reader }
info-card = card:         CIE 3.0 (generation { $generation }, manufacturer { $manufacturer })
info-atr = ATR:          { $atr }
info-nis = NIS:          { $nis }
info-pin-blocked = PIN:          blocked (unblock it with cie pin unblock)
info-pin-tries = PIN:          { $tries ->
    [one] 1 try left
   *[other] { $tries } tries left
}
info-pin-verified = PIN:          verified
info-serial = card number:  { $serial }
info-holder = holder:       { $holder }
info-subject = subject:      { $subject }
no-name = (no name in the certificate)

## cie pin

pin-changed = PIN changed
pin-unblocked = PIN unblocked and set; it has 3 tries again

## cie sign, cie cert

raw-signed = { $file } signed by { $holder }: { $bytes }-byte { $hash } RSA PKCS#1 v1.5 signature written to { $output }
certificate-written = certificate of { $holder } written to { $output } ({ $format }, { $bytes } bytes)
document-signed = { $file } signed by { $holder } ({ $format }, { $hash }): { $output }

## cie verify, cie extract

verify-header = { $file }: { $kind }, { $count ->
    [one] 1 signature
   *[other] { $count } signatures
}
signed-content-inside = signed content: { $name } (inside the envelope: cie extract gives it)
signed-content-detached = signed content: { $name } (the separate file given)
unnamed-content = the content (the envelope has no .p7m name)
verify-file-error = { $file }: { $message }
verify-summary = { $count } files: { $passed } TOTAL-PASSED, { $failed } TOTAL-FAILED, { $indeterminate } INDETERMINATE, { $errors } not checked (error)
verify-summary-line = summary: { $summary }
verify-not-checked = result: NOT CHECKED (error) — { $hint }
verify-detached-content = { $file }: the signed content of the detached signature { $signature }, checked with it
verify-empty-directory = { $dir }: no file to verify in this directory
verify-too-deep = { $dir }: directories nested more than { $max } levels deep are not entered
verify-too-many-files = more than { $max } files to verify: name fewer files or directories
signature-heading = signature { $index }: { $verdict }
signature-field-heading = signature { $index } (field { $field }): { $verdict }
countersignature-heading = signature { $index } (countersignature of signature { $parent }): { $verdict }
document-timestamp-heading = timestamp { $index } (document timestamp, field { $field }): { $verdict }
verdict-passed = VALID (TOTAL-PASSED)
verdict-failed = INVALID: TOTAL-FAILED ({ $sub })
verdict-indeterminate = NOT CONFIRMED: INDETERMINATE ({ $sub })
signer-line = {"  "}signer:       { $name }
fiscal-code-line = {"  "}fiscal code:  { $code }
no-fiscal-code = (not in the certificate)
subject-line = {"  "}subject:      { $subject }
issuer-line = {"  "}issuer:       { $issuer }
reason-line = {"  "}reason:       { $text } (as the signature dictionary states it)
location-line = {"  "}location:     { $text }
pdf-name-line = {"  "}name in PDF:  { $text } (as the signature dictionary states it, not checked)
signing-time-line = {"  "}claimed time: { $time } (signing time claimed by the signer, not proven)
no-time-line = {"  "}time:         not stated (no signing time and no timestamp)
timestamp-proof-line = {"  "}timestamp:    { $time } by "{ $tsa }" (verified: proves the signature existed then; its certificates are checked at that time)
document-timestamp-proof-line = {"  "}timestamp:    { $time } by "{ $tsa }" (verified: proves the document up to it, and its signatures, existed then)
timestamp-no-proof-line = {"  "}timestamp:    { $time } by "{ $tsa }" ({ $verdict }: not a proof of the time)
archive-timestamp-proof-line = {"  "}archive timestamp: { $time } by "{ $tsa }" (verified: proves the signature, its earlier timestamps and validation data existed then)
archive-timestamp-no-proof-line = {"  "}archive timestamp: { $time } by "{ $tsa }" ({ $verdict }: not a proof of the time)
timestamp-problem-line = {"  "}              why: { $problem }
format-cades-line = {"  "}format:       CAdES-BES (signing-certificate attribute), { $hash }
format-cms-line = {"  "}format:       CMS, { $hash }
attributes-as-received-line = {"  "}attributes:   signed attributes verified as they are in the file
attributes-der-sorted-line = {"  "}attributes:   signed attributes verified only once re-encoded in DER order (not as they are in the file)
encoding-ber-line = {"  "}encoding:     { -ber-encoding }
chain-not-checked = {"  "}chain:        NOT CHECKED (no trusted CA installed or given with --ca: who issued the certificate is unknown)
chain-trusted = {"  "}chain:        trusted, issued under "{ $anchor }"
chain-untrusted = {"  "}chain:        NOT TRUSTED: { $reason }
coverage-whole = {"  "}coverage:     the whole document
coverage-revision = {"  "}coverage:     a previous revision of the document
note-line = {"  "}note:         { $note }
problem-line = {"  "}PROBLEM:      { $problem }
chains-not-checked = warning: the certificate chains were NOT checked: no trusted CA is installed (docs/VERIFY.md) and none was given with --ca FILE
qualified-yes = {"  "}qualified:    yes, a qualified electronic signature (certificate issued under the qualified service "{ $service }" of a trusted list)
qualified-not-valid = {"  "}qualified:    no, the signature is not valid
qualified-no-ca = {"  "}qualified:    no, the certificate is not issued under a qualified CA of a trusted list (advanced signature at most)
qualified-no-qc = {"  "}qualified:    no, the certificate does not state it is qualified (advanced signature)
qualified-no-qscd = {"  "}qualified:    no, a qualified certificate whose key is not in a qualified signature creation device (advanced signature with a qualified certificate)
qualified-not-esign = {"  "}qualified:    no, the qualified certificate is not for electronic signatures (it is for: { $kind })
tsl-used = trusted list { $file } ({ $territory }): used, { $anchors } qualified CA certificates
tsl-refused = trusted list { $file } ({ $territory }): NOT used: { $reason }
modification-line = modified after signing: { $modification }
result-passed = result: TOTAL-PASSED — { $count ->
    [one] all 1 signature valid
   *[other] all { $count } signatures valid
}
result-not-passed = result: { $indication } ({ $sub }) — { $reason }
verdict-error = { $indication } ({ $sub }): { $reason }
reason-format = a signature cannot be read or checked (malformed)
reason-hash = the signed content was altered: its digest differs from the signed one
reason-sig-crypto = a signature value does not verify with the signer's key: the signature or its signed attributes were altered
modification-item = { $modification }
modification-list = { $first }; { $next }
reason-modified = the document was modified after signing: { $modifications }
reason-no-signing-certificate = the signer's certificate is missing or does not match the signature
reason-no-chain = the signer's identity is not confirmed by a trusted authority
reason-chain-failure = a certificate of the signer's chain cannot be used
reason-out-of-bounds = a certificate of the signer's chain has expired, and nothing proves the signature was made before
reason-not-yet-valid = a certificate of the signer's chain is not valid yet
reason-unsupported-algorithm = a signature uses an algorithm this tool does not support
reason-weak-algorithm = a signature uses an algorithm no longer considered secure (such as SHA-1 or MD5), and nothing proves it was made before
reason-no-signature = no signature to check
reason-revoked = the signer's certificate had been revoked when, as the signature itself states, it was made
reason-revoked-no-poe = the signer's certificate has been revoked, and nothing proves the signature was made before
reason-revoked-ca-no-poe = a certificate authority of the signer's certificate has been revoked, and nothing proves the signature was made before
reason-other = the signatures are not confirmed
extracted = { $file }: { $bytes } bytes of signed content written to { $output } (signatures not checked here: use cie verify)
extracted-level = { $file }: { $bytes } bytes of signed content of the envelope at level { $level } (inside the file's envelope) written to { $output } (signatures not checked here: use cie verify)
extracted-ber = { $file } is in { -ber-encoding }

## cie verify-sod

sod-valid = EF.SOD is valid: its Document Signer's signature verifies ({ $algorithm }, LDS version { $version })
sod-group = { "  " }{ $group } { $name } hash matches
group-nis = NIS (EF 1001)
group-serial = card number (EF 1002)
group-certificate = certificate (EF 1003)
group-chip-key = chip public key (EF 1004)
group-services-key = services public key (EF 1005)
group-dh = DH parameters (EF.DH)
group-other = data group
sod-csca-trusted = Document Signer issued by the CSCA { $subject }
sod-csca-fingerprint = { "  " }CSCA SHA-256 fingerprint { $fingerprint } (the CSCA signed it { $algorithm })
sod-csca-not-checked = Document Signer not checked against a CSCA (no CSCA certificate was found in what --csca gave)
sod-chip-authenticated = the chip proved it holds the key EF.SOD vouches for (key 83 answered a fresh challenge): not a copy
sod-login-not-checked = card number and certificate not checked (they need the PIN: add --login or --pin-stdin)
sod-no-group-given = no data group checked against it (give the files with --dg TAG=FILE)
sod-untrusted = EF.SOD is intact but NOT trusted: { $detail }
advice-sod-untrusted = no known CSCA issued this card's Document Signer, so nothing confirms the card's data: do not rely on it. If the card is genuine and newer than this program, add the current Italian CSCA certificates (https://csca-ita.interno.gov.it) to /etc/cie/csca/ or ~/.config/cie/csca/, or give them with --csca FILE|DIR
sod-dg-needs-sod = --dg names the data-group files of a dumped EF.SOD: give that file with --sod FILE
sod-bad-dg = --dg { $value }: expected TAG=FILE, TAG a DG number (A1..A5, 1B, DG1..DG16) or a CIE file id (1001..1005, D004)
csca-error = CSCA certificates: { $detail }

## cie browser

place-shared = Chromium / Chrome / NSS applications
place-firefox = Firefox profile "{ $name }"
place-sandboxed = sandboxed Firefox profile "{ $name }"
place-server = sandboxed browsers (p11-kit server unit)
browser-sandboxed-unchanged = not changed: a sandboxed browser cannot load a module of the host (see docs/SANDBOXED.md)
browser-already = already registered ({ $module })
browser-registered-created = registered { $module } (database created)
browser-registered = registered { $module }
browser-reregistered = re-registered { $module } (replaced an older or FRIENDLY entry)
browser-not-registered = not registered
browser-removed = removed
browser-no-database = no database
browser-registered-as = registered as "{ $name }" ({ $module })
browser-module-missing = , but the module file is missing: run cie browser setup again
browser-friendly = , with the FRIENDLY flag (a first use sends no certificate): run cie browser setup again
browser-tool-failed = { $detail }
browser-no-p11-kit = p11-kit is not installed (Debian/Ubuntu: sudo apt install p11-kit)
browser-unit-write-failed = writing the unit: { $detail }
browser-unit-remove-failed = removing the unit: { $detail }
browser-unit-written = unit written
browser-unit-unchanged = unit already installed
browser-unit-started = started by systemd
browser-unit-not-started = systemd did not start it: run `systemctl --user enable --now { $unit }`
browser-unit-summary = { $written }; { $started }; sandboxed browsers reach the card at { $address } (see docs/SANDBOXED.md)
browser-server-removed = removed
browser-server-removed-stopped = removed (server stopped)
browser-server-running = installed, running (address { $address })
browser-server-not-running = installed, not running (address { $address })
browser-card-not-visible = {"  "}card: not visible (no CIE in a reader, or pcscd not running)
browser-card-visible = {"  "}card: { $tokens } visible
browser-card-unknown = {"  "}card: cannot tell ({ $detail })
browser-restart = {"  "}{ $browsers } is running: restart it to use the change
browser-and = { $first } and { $second }
browser-first-use = The first time a site asks for your certificate, the browser asks for the CIE PIN ("Unlock Security Device" in Chromium, "Password Required" in Firefox).
browser-no-module-file = { $path }: no such module file
browser-no-module = libcie_pkcs11.so is not installed: install the cie package (or run `cargo xtask install`), or name the module with --module PATH
browser-no-home = HOME is not set: cannot find the browsers' databases

## cie doctor

step-doctor = checking the chain: pcscd, readers, card, module, browsers
advice-diagnosed = follow the advice above for each problem; cie doctor --report FILE writes a text to send to the help desk
doctor-status-ok = ok
doctor-status-note = note
doctor-status-problem = PROBLEM
doctor-todo = to do: { $advice }
doctor-all-ok = every link is ok
doctor-problems = { $count ->
    [one] 1 problem found
   *[other] { $count } problems found
    }
doctor-report-header =
    cie doctor report
    This report contains nothing personal: no NIS, no fiscal code, no names, no card number, no certificate. The home directory is written ~ and browser profiles are numbered. You can send it to the help desk as it is.
doctor-report-written = report for the help desk written to { $path } (nothing personal in it)
doctor-link-pcscd = PC/SC service (pcscd)
doctor-link-readers = readers
doctor-link-reader = reader { $reader }
doctor-link-card = card
doctor-link-pin = PIN and PUK
doctor-link-module = PKCS#11 module
doctor-link-p11-kit = p11-kit
doctor-link-browsers = browsers
doctor-link-cache = certificate cache
doctor-link-versions = versions
doctor-place-number = browser profile { $number }
doctor-pcscd-missing = pcscd is not installed
doctor-advice-pcscd-install = install it: sudo apt install pcscd
doctor-pcscd-no-socket = not running (no socket at { $socket })
doctor-pcscd-stale = not running (nobody answers at { $socket })
doctor-advice-pcscd-start = start it: sudo systemctl enable --now pcscd.socket
doctor-pcscd-permission = this user may not open { $socket }
doctor-advice-pcscd-user = run cie as the user logged in at the desktop, or ask the administrator to check the permissions of /run/pcscd
doctor-pcscd-refused = pcscd at { $socket } accepts the connection but refuses this user (polkit)
doctor-advice-pcscd-polkit = use the card from the desktop session you logged in to (not ssh, su or sudo), or ask the administrator to allow org.debian.pcsc-lite.access_pcsc in polkit
doctor-pcscd-unreachable = cannot reach { $socket }: { $detail }
doctor-pcscd-ok = installed ({ $program }), running, reachable at { $socket }
doctor-readers-none = no reader connected
doctor-advice-connect-reader = connect a contactless (NFC) smart-card reader; if it is connected, unplug it and plug it in again, then run cie doctor again
doctor-readers-list = { $readers }
doctor-readers-contact-only = only contact readers: { $readers }
doctor-advice-contactless = the CIE 3.0 has no contacts: it needs a contactless (NFC) reader
doctor-reader-contactless = contactless
doctor-reader-contact = contact
doctor-reader-kind-unknown = kind not told by its name
doctor-reader-troublesome = the { $model } is known for trouble with the CIE (unreliable with long exchanges)
doctor-advice-troublesome = if the card is not read reliably, use another contactless reader
doctor-card-ok = CIE, generation { $generation } ({ $manufacturer }), ATR { $atr }, in { $reader }
doctor-advice-no-card = put the CIE flat on the reader, keep it still, and run cie doctor again
doctor-advice-not-cie = the card on the reader is not a CIE 3.0 (a health card or a bank card?): put the electronic identity card on the reader
doctor-pin-puk = PIN { $pin }, PUK { $puk }
doctor-tries-left = { $tries ->
    [one] 1 try left
   *[other] { $tries } tries left
    }
doctor-tries-blocked = blocked
doctor-tries-verified = verified
doctor-tries-unknown = the tries left could not be read: { $detail }
doctor-advice-pin-low = a wrong PIN was typed since the last right one; type it carefully: after 3 wrong PINs in a row it is blocked (cie help pin)
doctor-advice-puk-low = a wrong PUK was typed: after 10 wrong PUKs the card can no longer be unblocked (cie help pin)
doctor-module-missing = libcie_pkcs11.so not found
doctor-advice-install-package = install (or reinstall) the cie package, which puts the module in /usr/lib/<arch>/pkcs11/
doctor-module-broken = { $path } does not load: { $detail }
doctor-module-ok = { $path } loads: { $description } { $version }, PKCS#11 { $cryptoki }
doctor-p11-kit-registered = module registered ({ $file })
doctor-p11-kit-not-registered = module not registered
doctor-advice-p11-kit = only needed by p11-kit programs (GnuTLS, p11-kit-proxy): the cie package installs /usr/share/p11-kit/modules/cie-pkcs11.module
doctor-db-missing = no database in { $dir } (browser not used yet)
doctor-advice-browser-setup = run cie browser setup
doctor-advice-browser-setup-restart = close { $browsers }, run cie browser setup, then start it again
doctor-db-not-registered = the CIE module is not registered: the browser will not offer the card
doctor-db-twice = the CIE module is registered { $count } times
doctor-db-friendly = { $module } is registered with the FRIENDLY flag (older instructions): the browser never asks for the PIN
doctor-db-stale = the registered module { $module } does not exist (stale path)
doctor-db-started-before = registered after { $browsers } started: it has not loaded the module yet
doctor-advice-restart = restart { $browsers }
doctor-db-other-copy = registered with { $module }, not the installed module
doctor-db-ok = registered ({ $module })
doctor-db-sandboxed = a snap or Flatpak browser: it cannot load the module of the system
doctor-advice-sandboxed = run cie browser setup --sandboxed (docs/SANDBOXED.md), or use the browser from the distribution's package
doctor-db-sandboxed-served = a snap or Flatpak browser, served by the p11-kit server unit at { $address }
doctor-cache-off = turned off (CIE_PKCS11_CACHE)
doctor-cache-empty = { $dir } not created yet (filled at the first use of the card)
doctor-cache-ok = { $dir }: { $certificates } certificates, { $cards } cards
doctor-cache-not-private = { $dir } is not a directory private to this user
doctor-advice-cache = remove it (rm -r { $dir }): the module makes it again at the next use
doctor-versions = cie { $cie }, module { $module }, pcsc-lite { $pcsc }, system { $system }
agent-listening = card agent listening on { $path } (cie agent stop, or Ctrl-C, ends it)
agent-socket = card agent: { $detail }
agent-not-running = no card agent is running
agent-stopped = card agent stopped
agent-status = card agent { $pid } on { $socket }: { $clients } clients connected, idle for { $idle } s (exits after { $timeout } s idle; 0: never)
agent-card = { $reader }: card { $nis }, { $clients } clients logged in
agent-card-closed = { $reader }: no card session open
advice-agent = start it with cie agent; without it every command works on its own
agent-installed = cie-agent.socket and cie-agent.service written to { $dir }, not enabled; to start the agent on demand: systemctl --user enable --now cie-agent.socket
