"""Signs the unsigned test PDFs of pyHanko's suite with pyHanko itself (its test signer
"signer1", non-strict reader), the way the files of this directory were made (see MANIFEST).

Usage: PYTHONPATH= path/to/pyhanko-venv/bin/python make.py PYHANKO_SDIST OUT_DIR
"""
import sys
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

sdist, out = sys.argv[1], sys.argv[2]
data = f"{sdist}/pyhanko_testing_commons/test_data/data"
signer = signers.SimpleSigner.load(
    key_file=f"{data}/crypto/keys-rsa/signer.key.pem",
    cert_file=f"{data}/crypto/testing-ca/interm/signer1.cert.pem",
    ca_chain_files=(f"{data}/crypto/testing-ca/root/interm.cert.pem",),
    key_passphrase=b"secret",
)
for name in sys.argv[3:]:
    src = name if "/" in name else f"{data}/pdf/{name}"
    with open(src, "rb") as f:
        w = IncrementalPdfFileWriter(BytesIO(f.read()), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=SigSeedSubFilter.PADES)
    result = signers.PdfSigner(meta, signer=signer).sign_pdf(w)
    base = name.rsplit("/", 1)[-1]
    with open(f"{out}/signed-{base}", "wb") as f:
        f.write(result.getvalue())
    print("signed", base)
