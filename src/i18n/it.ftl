# Messaggi del programma cie in italiano (scelti quando la lingua è it_*: LC_ALL, LC_MESSAGES,
# LANG). Ogni id è anche in en.ftl; src/i18n.rs li elenca (Msg) con le variabili di ciascuno.

## Righe di errore e di suggerimento (standard error)

error-line = errore: { $message }
hint-line = suggerimento: { $hint }

## Errori della carta e del lettore

wrong-credential = { $credential } errato
wrong-credential-tries = { $credential } errato: { $tries ->
    [one] resta 1 tentativo
   *[other] restano { $tries } tentativi
}
credential-blocked = { $credential } bloccato
credential-format = il { $credential } deve avere esattamente 8 cifre
login-required = è necessario verificare prima il PIN
no-card = carta non trovata: nessuna carta nel lettore
reader-unavailable = lettore non disponibile: { $detail }
service-unavailable = il servizio delle smart card (pcscd) non è attivo o non risponde
card-removed = la carta è stata rimossa dal lettore
card-reset = la carta è stata reinizializzata da un'altra applicazione
card-busy = la carta è in uso da un'altra applicazione
transport-failure = errore di comunicazione con il lettore: { $detail }
not-cie = la carta nel lettore non è una CIE: { $detail }
passive-authentication = autenticazione passiva non riuscita: { $detail }
card-answer = risposta inattesa della carta: { $detail }
other-failure = operazione non riuscita: { $detail }

## Suggerimenti dopo un errore

# L'unica formulazione per una firma CMS in BER, in ogni comando (X.690 §8, RFC 5652 §1.1).
-ber-encoding = codifica BER (lunghezze indefinite o contenuto a blocchi, letta come CMS consente)
-secret-origin = le prime 4 cifre sono sulla ricevuta che il Comune ti ha consegnato quando hai richiesto la carta, le ultime 4 nella lettera arrivata insieme alla carta
advice-usage = vedi cie --help
advice-document = controlla che il file sia un PDF o una firma CAdES .p7m/.p7s
advice-invalid = non fare affidamento su questo documento finché le sue firme non sono confermate
advice-altered = non fare affidamento su questo documento: il documento o la sua firma sono stati alterati dopo la firma
advice-modified = non fare affidamento su questo documento: è stato modificato dopo la firma; chiedi al mittente la versione firmata
advice-malformed = la firma non può essere verificata: chiedi al mittente una nuova copia del documento firmato
advice-no-chain = la firma è integra ma il firmatario non è confermato: installa la CA emittente in /etc/cie/trust-anchors/ o in ~/.config/cie/trust-anchors/, oppure indicala con --ca FILE (docs/VERIFY.md)
advice-chain-failure = un certificato tra il firmatario e l'autorità attendibile non è utilizzabile: il firmatario non è confermato
advice-no-signing-certificate = la firma non contiene il certificato del firmatario: il firmatario non può essere confermato
advice-certificate-time = un certificato non è valido al momento della verifica e, senza una marca temporale attendibile, nulla prova che la firma sia stata apposta quando lo era: oggi la firma non può essere confermata
advice-unsupported-algorithm = questo programma non supporta l'algoritmo della firma: verificala con un altro programma
advice-weak-algorithm = la firma usa un algoritmo non più considerato sicuro: chiedi al firmatario una nuova firma
advice-no-signature = il file non contiene firme: chiedi al mittente la versione firmata
advice-verify-summary = vedi sopra il resoconto o l'errore di ciascun file
advice-content-differs = non considerare firmato quel file: la firma contiene il proprio contenuto, che cie extract estrae
advice-document-unsupported = questo programma non può verificare questo documento; una firma separata (.p7s) ha bisogno del file firmato: indicalo con --content FILE
advice-trust-anchors = controlla i certificati delle CA elencati in CIE_TRUST_ANCHORS o installati in /etc/cie/trust-anchors/ e ~/.config/cie/trust-anchors/ (PEM o DER), oppure ignorali con --no-default-ca
advice-cancelled = ripeti il comando quando sei sicuro del PIN (cie help pin)
advice-file = controlla il nome del file e i permessi
advice-pin-last-try = controlla il PIN (8 cifre: { -secret-origin }); un altro tentativo errato lo blocca
advice-pin = controlla il PIN (8 cifre: { -secret-origin }) e riprova
advice-puk = controlla il PUK (8 cifre: { -secret-origin }) e riprova
advice-pin-blocked = sblocca il PIN con il PUK: cie pin unblock
advice-puk-blocked = anche il PUK è bloccato: la carta non può più essere sbloccata; chiedine una nuova al Comune che l'ha emessa
advice-format = PIN e PUK hanno 8 cifre ciascuno: { -secret-origin } (cie help pin)
advice-login = per questa operazione serve il PIN
advice-no-card = appoggia la carta sul lettore e riprova
advice-no-reader = collega un lettore e controlla che il servizio PC/SC (pcscd) sia attivo; cie readers elenca i lettori
advice-service = avvia il servizio delle smart card: sudo systemctl start pcscd (pacchetto pcscd su Debian/Ubuntu)
advice-removed = la carta è stata tolta: rimettila sul lettore e riprova
advice-reset = un'altra applicazione ha reinizializzato la carta durante l'operazione: riprova
advice-busy = un'altra applicazione sta usando la carta: chiudila e riprova
advice-not-cie = la carta nel lettore non è una CIE 3.0; usa --reader per scegliere un altro lettore
advice-passive = i dati non sono garantiti dal loro EF.SOD (un gruppo di dati è diverso, oppure EF.SOD o il suo Document Signer sono falsi o danneggiati): non fidarti di questa carta
advice-transport = controlla che il lettore sia collegato e che la carta sia ferma sul lettore, poi riprova
advice-card = togli la carta dal lettore, rimettila e riprova; se succede ancora con un lettore funzionante, la carta potrebbe essere danneggiata: rivolgiti al tuo Comune
advice-other = riprova; se succede ancora, segnala il problema allegando l'output di cie info

## File ed errori di utilizzo

file-error = { $path }: { $detail }
same-output = il file di uscita deve essere diverso da quello di ingresso
raw-without-format = le firme semplici si fanno con cie sign senza --format
der-to-terminal = il formato DER è binario: scrivilo in un file con -o FILE
signature-to-terminal = la firma è binaria: scrivila in un file con -o SIG
json-signature-stdout = --json stampa un resoconto sullo standard output: scrivi la firma con -o SIG
new-pins-differ = i due nuovi PIN non coincidono; non è stato cambiato nulla
secret-on-command-line = { $option }: PIN e PUK non vanno mai scritti sulla riga di comando (altri utenti potrebbero vederli): digitali quando vengono chiesti o usa --pin-stdin
sign-needs-output = sign richiede -o SIG, il file in cui scrivere la firma
stdin-twice = -i - e --pin-stdin vogliono entrambi lo standard input: passa i dati in un file
documents-need-files = i documenti firmati si leggono e si scrivono su file: indica -i FILE e -o OUT
cosign-needs-cades = --cosign aggiunge una firma a un .p7m: usalo con --format cades
timestamp-needs-document = --timestamp aggiunge una marca temporale a un documento firmato: usalo con --format cades, cades-detached o pades
timestamp-needs-http = --timestamp vuole l'indirizzo http:// di un'autorità di marcatura temporale RFC 3161 (TSA), non { $url }: la marca è firmata dalla TSA, quindi https non serve
extract-needs-output = extract richiede -o OUT (il nome del file non termina con .p7m)
verify-content-one-file = --content indica il file firmato di una sola firma separata: usalo con un solo FILE, non con una cartella
no-help-on = nessun aiuto su "{ $topic }": prova cie help o cie help pin
document-error = impossibile elaborare il documento: { $detail }
document-unsupported = impossibile elaborare il documento: { $detail }
content-differs = il contenuto indicato ({ $file }) è diverso da quello contenuto nella firma: la firma non lo copre
content-differs-detail = il contenuto indicato è diverso da quello contenuto nella firma: la firma non lo copre ({ $detail })
trust-anchors-error = CA attendibili installate: { $detail }

## Richiesta di PIN e PUK

prompt-secret = Il { $credential } ha 8 cifre: { -secret-origin }.
prompt-pin = PIN della CIE (8 cifre):{" "}
prompt-current-pin = PIN attuale (8 cifre):{" "}
prompt-puk = PUK (8 cifre):{" "}
prompt-new-pin = nuovo PIN (8 cifre):{" "}
prompt-new-pin-again = ripeti il nuovo PIN:{" "}
confirm-last-try = resta un solo tentativo: un PIN errato blocca la carta; continuare? [s/N]{" "}
last-try-cancelled = il PIN non è stato provato: resta un solo tentativo
no-terminal = nessun terminale su cui chiedere il PIN; usa --pin-stdin per leggerlo dallo standard input
cannot-read-secret = impossibile leggere il { $credential }: { $detail }
cannot-read-secret-stdin = impossibile leggere il { $credential } dallo standard input: { $detail }
stdin-ended = lo standard input è finito prima del { $credential } (--pin-stdin ne legge uno per riga)
cannot-ask = impossibile chiedere conferma sul terminale: { $detail }

## Avanzamento (standard error)

progress = cie: { $step }...
step-connect = collegamento alla carta nel lettore "{ $reader }"
step-search = ricerca di una CIE nei lettori
step-login = apertura del canale sicuro e verifica del PIN
step-pin-status = apertura del canale sicuro per leggere lo stato del PIN
step-read-serial = lettura del numero della carta e del certificato
step-read-certificate = lettura del certificato
step-sign-digest = firma dell'impronta { $hash } con la carta
step-sign-document = firma di { $file } in formato { $format } con la carta
step-change-pin = apertura del canale sicuro e cambio del PIN
step-unblock-pin = apertura del canale sicuro, verifica del PUK e impostazione del nuovo PIN
step-read-sod = lettura di EF.SOD e dei dati che garantisce
# Accanto a una barra sul terminale: il tempo che manca, poi che cosa conta la barra.
progress-left = ancora { $eta }
progress-hashing = calcolo dell'impronta di { $file }
progress-reading = lettura di { $file }
progress-verifying = verifica di { $file }
progress-extracting = estrazione del contenuto di { $file }

## cie info

info-reader = lettore:      { $reader }
info-card = carta:        CIE 3.0 (generazione { $generation }, produttore { $manufacturer })
info-atr = ATR:          { $atr }
info-nis = NIS:          { $nis }
info-pin-blocked = PIN:          bloccato (sbloccalo con cie pin unblock)
info-pin-tries = PIN:          { $tries ->
    [one] resta 1 tentativo
   *[other] restano { $tries } tentativi
}
info-pin-verified = PIN:          verificato
info-serial = numero carta: { $serial }
info-holder = titolare:     { $holder }
info-subject = soggetto:     { $subject }
no-name = (nessun nome nel certificato)

## cie pin

pin-changed = PIN cambiato
pin-unblocked = PIN sbloccato e impostato; ha di nuovo 3 tentativi

## cie sign, cie cert

raw-signed = { $file } firmato da { $holder }: firma RSA PKCS#1 v1.5 { $hash } di { $bytes } byte scritta in { $output }
certificate-written = certificato di { $holder } scritto in { $output } ({ $format }, { $bytes } byte)
document-signed = { $file } firmato da { $holder } ({ $format }, { $hash }): { $output }

## cie verify, cie extract

verify-header = { $file }: { $kind }, { $count ->
    [one] 1 firma
   *[other] { $count } firme
}
signed-content-inside = contenuto firmato: { $name } (dentro la busta: cie extract lo estrae)
signed-content-detached = contenuto firmato: { $name } (il file separato indicato)
unnamed-content = il contenuto (la busta non ha un nome .p7m)
verify-file-error = { $file }: { $message }
verify-summary = { $count } file: { $passed } TOTAL-PASSED, { $failed } TOTAL-FAILED, { $indeterminate } INDETERMINATE, { $errors } non verificati (errore)
verify-summary-line = riepilogo: { $summary }
verify-not-checked = esito: NON VERIFICATO (errore) — { $hint }
verify-detached-content = { $file }: il contenuto firmato della firma separata { $signature }, verificato con essa
verify-empty-directory = { $dir }: nessun file da verificare in questa cartella
verify-too-deep = { $dir }: le cartelle annidate oltre { $max } livelli non vengono esaminate
verify-too-many-files = più di { $max } file da verificare: indica meno file o cartelle
signature-heading = firma { $index }: { $verdict }
signature-field-heading = firma { $index } (campo { $field }): { $verdict }
countersignature-heading = firma { $index } (controfirma della firma { $parent }): { $verdict }
document-timestamp-heading = marca { $index } (marca temporale del documento, campo { $field }): { $verdict }
verdict-passed = VALIDA (TOTAL-PASSED)
verdict-failed = NON VALIDA: TOTAL-FAILED ({ $sub })
verdict-indeterminate = NON CONFERMATA: INDETERMINATE ({ $sub })
signer-line = {"  "}firmatario:      { $name }
fiscal-code-line = {"  "}codice fiscale:  { $code }
no-fiscal-code = (non presente nel certificato)
subject-line = {"  "}soggetto:        { $subject }
issuer-line = {"  "}emittente:       { $issuer }
reason-line = {"  "}motivo:          { $text } (come lo indica il dizionario della firma)
location-line = {"  "}luogo:           { $text }
pdf-name-line = {"  "}nome nel PDF:    { $text } (come lo indica il dizionario della firma, non verificato)
signing-time-line = {"  "}ora dichiarata:  { $time } (ora della firma dichiarata dal firmatario, non provata)
no-time-line = {"  "}ora:             non indicata (né data di firma né marca temporale)
timestamp-proof-line = {"  "}marca temporale: { $time } di "{ $tsa }" (verificata: prova che la firma esisteva a quell'ora; i suoi certificati sono verificati a quell'ora)
document-timestamp-proof-line = {"  "}marca temporale: { $time } di "{ $tsa }" (verificata: prova che il documento fino a essa, con le sue firme, esisteva a quell'ora)
timestamp-no-proof-line = {"  "}marca temporale: { $time } di "{ $tsa }" ({ $verdict }: non prova l'ora)
archive-timestamp-proof-line = {"  "}marca temporale di archiviazione: { $time } di "{ $tsa }" (verificata: prova che la firma, le sue marche temporali precedenti e i dati di validazione esistevano a quell'ora)
archive-timestamp-no-proof-line = {"  "}marca temporale di archiviazione: { $time } di "{ $tsa }" ({ $verdict }: non prova l'ora)
timestamp-problem-line = {"  "}                 perché: { $problem }
format-cades-line = {"  "}formato:         CAdES-BES (attributo signing-certificate), { $hash }
format-cms-line = {"  "}formato:         CMS, { $hash }
attributes-as-received-line = {"  "}attributi:       attributi firmati verificati così come sono nel file
attributes-der-sorted-line = {"  "}attributi:       attributi firmati verificati solo riordinati secondo DER (non come sono nel file)
encoding-ber-line = {"  "}codifica:        { -ber-encoding }
chain-not-checked = {"  "}catena:          NON VERIFICATA (nessuna CA attendibile installata o indicata con --ca: non si sa chi ha emesso il certificato)
chain-trusted = {"  "}catena:          attendibile, emessa sotto "{ $anchor }"
chain-untrusted = {"  "}catena:          NON ATTENDIBILE: { $reason }
coverage-whole = {"  "}copertura:       l'intero documento
coverage-revision = {"  "}copertura:       una revisione precedente del documento
note-line = {"  "}nota:            { $note }
problem-line = {"  "}PROBLEMA:        { $problem }
chains-not-checked = attenzione: le catene dei certificati NON sono state verificate: nessuna CA attendibile è installata (docs/VERIFY.md) né indicata con --ca FILE
qualified-yes = {"  "}qualificata:     sì, firma elettronica qualificata (certificato emesso sotto il servizio qualificato "{ $service }" di una lista di fiducia)
qualified-not-valid = {"  "}qualificata:     no, la firma non è valida
qualified-no-ca = {"  "}qualificata:     no, il certificato non è emesso da una CA qualificata di una lista di fiducia (al più firma avanzata)
qualified-no-qc = {"  "}qualificata:     no, il certificato non si dichiara qualificato (firma avanzata)
qualified-no-qscd = {"  "}qualificata:     no, certificato qualificato con la chiave fuori da un dispositivo qualificato per la creazione di firme (firma avanzata con certificato qualificato)
qualified-not-esign = {"  "}qualificata:     no, il certificato qualificato non è per firme elettroniche (è per: { $kind })
tsl-used = lista di fiducia { $file } ({ $territory }): usata, { $anchors } certificati di CA qualificate
tsl-refused = lista di fiducia { $file } ({ $territory }): NON usata: { $reason }
modification-line = modificato dopo la firma: { $modification }
result-passed = esito: TOTAL-PASSED — { $count ->
    [one] l'unica firma è valida
   *[other] tutte le { $count } firme sono valide
}
result-not-passed = esito: { $indication } ({ $sub }) — { $reason }
verdict-error = { $indication } ({ $sub }): { $reason }
reason-format = una firma non può essere letta né verificata (è malformata)
reason-hash = il contenuto firmato è stato alterato: la sua impronta non è quella firmata
reason-sig-crypto = il valore di una firma non si verifica con la chiave del firmatario: la firma o i suoi attributi firmati sono stati alterati
modification-item = { $modification }
modification-list = { $first }; { $next }
reason-modified = il documento è stato modificato dopo la firma: { $modifications }
reason-no-signing-certificate = il certificato del firmatario manca o non corrisponde alla firma
reason-no-chain = l'identità del firmatario non è confermata da un'autorità attendibile
reason-chain-failure = un certificato della catena del firmatario non è utilizzabile
reason-out-of-bounds = un certificato della catena del firmatario è scaduto e nulla prova che la firma sia stata apposta prima
reason-not-yet-valid = un certificato della catena del firmatario non è ancora valido
reason-unsupported-algorithm = una firma usa un algoritmo che questo programma non supporta
reason-weak-algorithm = una firma usa un algoritmo non più considerato sicuro (come SHA-1 o MD5) e nulla prova che sia stata apposta prima
reason-no-signature = nessuna firma da verificare
reason-revoked = il certificato del firmatario era già revocato quando, come dichiara la firma stessa, è stata apposta
reason-revoked-no-poe = il certificato del firmatario è stato revocato e nulla prova che la firma sia stata apposta prima
reason-revoked-ca-no-poe = un'autorità di certificazione del certificato del firmatario è stata revocata e nulla prova che la firma sia stata apposta prima
reason-other = le firme non sono confermate
extracted = { $file }: { $bytes } byte di contenuto firmato scritti in { $output } (qui le firme non sono verificate: usa cie verify)
extracted-level = { $file }: { $bytes } byte di contenuto firmato della busta di livello { $level } (dentro la busta del file) scritti in { $output } (qui le firme non sono verificate: usa cie verify)
extracted-ber = { $file } è in { -ber-encoding }

## cie verify-sod

sod-valid = EF.SOD è valido: la firma del suo Document Signer è verificata ({ $algorithm }, versione LDS { $version })
sod-group = { "  " }{ $group } { $name } impronta corrispondente
group-nis = NIS (EF 1001)
group-serial = numero della carta (EF 1002)
group-certificate = certificato (EF 1003)
group-chip-key = chiave pubblica del chip (EF 1004)
group-services-key = chiave pubblica dei servizi (EF 1005)
group-dh = parametri DH (EF.DH)
group-other = gruppo di dati
sod-csca-trusted = Document Signer emesso dalla CSCA { $subject }
sod-csca-fingerprint = { "  " }impronta SHA-256 della CSCA { $fingerprint } (la CSCA l'ha firmato con { $algorithm })
sod-csca-not-checked = Document Signer non verificato con una CSCA (in quanto indicato con --csca non c'è alcun certificato di CSCA)
sod-chip-authenticated = il chip ha dimostrato di possedere la chiave garantita da EF.SOD (la chiave 83 ha risposto a una sfida nuova): non è una copia
sod-login-not-checked = numero della carta e certificato non verificati (serve il PIN: aggiungi --login o --pin-stdin)
sod-no-group-given = nessun gruppo di dati verificato (indica i file con --dg TAG=FILE)
sod-untrusted = EF.SOD è integro ma NON attendibile: { $detail }
advice-sod-untrusted = nessuna CSCA conosciuta ha emesso il Document Signer di questa carta, quindi nulla conferma i dati della carta: non farci affidamento. Se la carta è autentica e più recente di questo programma, aggiungi i certificati attuali delle CSCA italiane (https://csca-ita.interno.gov.it) in /etc/cie/csca/ o in ~/.config/cie/csca/, oppure indicali con --csca FILE|DIR
sod-dg-needs-sod = --dg indica i file dei gruppi di dati di un EF.SOD salvato: indica quel file con --sod FILE
sod-bad-dg = --dg { $value }: atteso TAG=FILE, dove TAG è il numero del gruppo di dati (A1..A5, 1B, DG1..DG16) o l'identificativo del file della CIE (1001..1005, D004)
csca-error = certificati delle CSCA: { $detail }

## cie browser

place-shared = Chromium / Chrome / applicazioni NSS
place-firefox = profilo Firefox "{ $name }"
place-sandboxed = profilo Firefox in sandbox "{ $name }"
place-server = browser in sandbox (unità del server p11-kit)
browser-sandboxed-unchanged = non modificato: un browser in sandbox non può caricare un modulo del sistema (vedi docs/SANDBOXED.md)
browser-already = già registrato ({ $module })
browser-registered-created = registrato { $module } (database creato)
browser-registered = registrato { $module }
browser-reregistered = registrato di nuovo { $module } (sostituita una voce più vecchia o con il flag FRIENDLY)
browser-not-registered = non registrato
browser-removed = rimosso
browser-no-database = nessun database
browser-registered-as = registrato come "{ $name }" ({ $module })
browser-module-missing = , ma il file del modulo non c'è più: esegui di nuovo cie browser setup
browser-friendly = , con il flag FRIENDLY (al primo uso non viene inviato il certificato): esegui di nuovo cie browser setup
browser-tool-failed = { $detail }
browser-no-p11-kit = p11-kit non è installato (Debian/Ubuntu: sudo apt install p11-kit)
browser-unit-write-failed = scrittura dell'unità non riuscita: { $detail }
browser-unit-remove-failed = rimozione dell'unità non riuscita: { $detail }
browser-unit-written = unità scritta
browser-unit-unchanged = unità già installata
browser-unit-started = avviata da systemd
browser-unit-not-started = systemd non l'ha avviata: esegui `systemctl --user enable --now { $unit }`
browser-unit-summary = { $written }; { $started }; i browser in sandbox raggiungono la carta su { $address } (vedi docs/SANDBOXED.md)
browser-server-removed = rimossa
browser-server-removed-stopped = rimossa (server fermato)
browser-server-running = installata, in esecuzione (indirizzo { $address })
browser-server-not-running = installata, non in esecuzione (indirizzo { $address })
browser-card-not-visible = {"  "}carta: non visibile (nessuna CIE in un lettore, o pcscd non attivo)
browser-card-visible = {"  "}carta: { $tokens } visibile
browser-card-unknown = {"  "}carta: impossibile saperlo ({ $detail })
browser-restart = {"  "}{ $browsers } è aperto: riavvialo per usare la modifica
browser-and = { $first } e { $second }
browser-first-use = La prima volta che un sito chiede il tuo certificato, il browser chiede il PIN della CIE ("Sblocca dispositivo di sicurezza" in Chromium, "Password richiesta" in Firefox).
browser-no-module-file = { $path }: il file del modulo non esiste
browser-no-module = libcie_pkcs11.so non è installato: installa il pacchetto cie (o esegui `cargo xtask install`), oppure indica il modulo con --module PATH
browser-no-home = HOME non è impostata: impossibile trovare i database dei browser

## cie doctor

step-doctor = controllo della catena: pcscd, lettori, carta, modulo, browser
advice-diagnosed = segui il suggerimento sopra per ogni problema; cie doctor --report FILE scrive un testo da inviare all'assistenza
doctor-status-ok = ok
doctor-status-note = nota
doctor-status-problem = PROBLEMA
doctor-todo = da fare: { $advice }
doctor-all-ok = tutti i controlli sono andati bene
doctor-problems = { $count ->
    [one] trovato 1 problema
   *[other] trovati { $count } problemi
    }
doctor-report-header =
    cie doctor: rapporto
    Questo rapporto non contiene nulla di personale: né NIS, né codice fiscale, né nomi, né numero della carta, né certificato. La cartella home è scritta ~ e i profili dei browser sono numerati. Puoi inviarlo così com'è all'assistenza.
doctor-report-written = rapporto per l'assistenza scritto in { $path } (non contiene nulla di personale)
doctor-link-pcscd = servizio PC/SC (pcscd)
doctor-link-readers = lettori
doctor-link-reader = lettore { $reader }
doctor-link-card = carta
doctor-link-pin = PIN e PUK
doctor-link-module = modulo PKCS#11
doctor-link-p11-kit = p11-kit
doctor-link-browsers = browser
doctor-link-cache = cache dei certificati
doctor-link-versions = versioni
doctor-place-number = profilo del browser { $number }
doctor-pcscd-missing = pcscd non è installato
doctor-advice-pcscd-install = installalo: sudo apt install pcscd
doctor-pcscd-no-socket = non è in esecuzione (nessun socket in { $socket })
doctor-pcscd-stale = non è in esecuzione (nessuno risponde su { $socket })
doctor-advice-pcscd-start = avvialo: sudo systemctl enable --now pcscd.socket
doctor-pcscd-permission = questo utente non può aprire { $socket }
doctor-advice-pcscd-user = esegui cie come l'utente collegato al desktop, o chiedi all'amministratore di controllare i permessi di /run/pcscd
doctor-pcscd-refused = pcscd su { $socket } accetta la connessione ma rifiuta questo utente (polkit)
doctor-advice-pcscd-polkit = usa la carta dalla sessione desktop in cui sei entrato (non ssh, su o sudo), o chiedi all'amministratore di consentire org.debian.pcsc-lite.access_pcsc in polkit
doctor-pcscd-unreachable = impossibile raggiungere { $socket }: { $detail }
doctor-pcscd-ok = installato ({ $program }), in esecuzione, raggiungibile su { $socket }
doctor-readers-none = nessun lettore collegato
doctor-advice-connect-reader = collega un lettore di smart card contactless (NFC); se è già collegato, scollegalo e ricollegalo, poi esegui di nuovo cie doctor
doctor-readers-list = { $readers }
doctor-readers-contact-only = solo lettori a contatto: { $readers }
doctor-advice-contactless = la CIE 3.0 non ha contatti: serve un lettore contactless (NFC)
doctor-reader-contactless = contactless
doctor-reader-contact = a contatto
doctor-reader-kind-unknown = tipo non indicato dal nome
doctor-reader-troublesome = il { $model } è noto per dare problemi con la CIE (inaffidabile negli scambi lunghi)
doctor-advice-troublesome = se la carta non viene letta in modo affidabile, usa un altro lettore contactless
doctor-card-ok = CIE, generazione { $generation } ({ $manufacturer }), ATR { $atr }, in { $reader }
doctor-advice-no-card = appoggia la CIE sul lettore, tienila ferma ed esegui di nuovo cie doctor
doctor-advice-not-cie = la carta sul lettore non è una CIE 3.0 (tessera sanitaria o bancomat?): appoggia sul lettore la carta d'identità elettronica
doctor-pin-puk = PIN { $pin }, PUK { $puk }
doctor-tries-left = { $tries ->
    [one] 1 tentativo rimasto
   *[other] { $tries } tentativi rimasti
    }
doctor-tries-blocked = bloccato
doctor-tries-verified = verificato
doctor-tries-unknown = impossibile leggere i tentativi rimasti: { $detail }
doctor-advice-pin-low = è stato digitato un PIN errato dopo l'ultimo giusto; digitalo con attenzione: dopo 3 PIN errati di fila si blocca (cie help pin)
doctor-advice-puk-low = è stato digitato un PUK errato: dopo 10 PUK errati la carta non si può più sbloccare (cie help pin)
doctor-module-missing = libcie_pkcs11.so non trovato
doctor-advice-install-package = installa (o reinstalla) il pacchetto cie, che mette il modulo in /usr/lib/<arch>/pkcs11/
doctor-module-broken = { $path } non si carica: { $detail }
doctor-module-ok = { $path } si carica: { $description } { $version }, PKCS#11 { $cryptoki }
doctor-p11-kit-registered = modulo registrato ({ $file })
doctor-p11-kit-not-registered = modulo non registrato
doctor-advice-p11-kit = serve solo ai programmi che usano p11-kit (GnuTLS, p11-kit-proxy): il pacchetto cie installa /usr/share/p11-kit/modules/cie-pkcs11.module
doctor-db-missing = nessun database in { $dir } (browser non ancora usato)
doctor-advice-browser-setup = esegui cie browser setup
doctor-advice-browser-setup-restart = chiudi { $browsers }, esegui cie browser setup, poi riavvialo
doctor-db-not-registered = il modulo CIE non è registrato: il browser non proporrà la carta
doctor-db-twice = il modulo CIE è registrato { $count } volte
doctor-db-friendly = { $module } è registrato con l'opzione FRIENDLY (vecchie istruzioni): il browser non chiede mai il PIN
doctor-db-stale = il modulo registrato { $module } non esiste (percorso superato)
doctor-db-started-before = registrato dopo l'avvio di { $browsers }: il modulo non è ancora caricato
doctor-advice-restart = riavvia { $browsers }
doctor-db-other-copy = registrato con { $module }, non il modulo installato
doctor-db-ok = registrato ({ $module })
doctor-db-sandboxed = un browser snap o Flatpak: non può caricare il modulo del sistema
doctor-advice-sandboxed = esegui cie browser setup --sandboxed (docs/SANDBOXED.md), o usa il browser del pacchetto della distribuzione
doctor-db-sandboxed-served = un browser snap o Flatpak, servito dall'unità p11-kit server su { $address }
doctor-cache-off = disattivata (CIE_PKCS11_CACHE)
doctor-cache-empty = { $dir } non ancora creata (si riempie al primo uso della carta)
doctor-cache-ok = { $dir }: { $certificates } certificati, { $cards } carte
doctor-cache-not-private = { $dir } non è una cartella riservata a questo utente
doctor-advice-cache = eliminala (rm -r { $dir }): il modulo la ricrea al prossimo uso
doctor-versions = cie { $cie }, modulo { $module }, pcsc-lite { $pcsc }, sistema { $system }
agent-listening = agente della carta in ascolto su { $path } (cie agent stop, o Ctrl-C, lo termina)
agent-socket = agente della carta: { $detail }
agent-not-running = nessun agente della carta è in esecuzione
agent-stopped = agente della carta fermato
agent-status = agente della carta { $pid } su { $socket }: { $clients } client connessi, inattivo da { $idle } s (termina dopo { $timeout } s di inattività; 0: mai)
agent-card = { $reader }: carta { $nis }, { $clients } client autenticati
agent-card-closed = { $reader }: nessuna sessione aperta con la carta
advice-agent = avvialo con cie agent; senza, ogni comando funziona da solo
agent-installed = cie-agent.socket e cie-agent.service scritti in { $dir }, non abilitati; per avviare l'agente quando serve: systemctl --user enable --now cie-agent.socket
