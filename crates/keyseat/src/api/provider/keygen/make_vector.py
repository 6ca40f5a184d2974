"""Makes vector.json: a Keygen-style signed answer, signed with Python's `cryptography`
(OpenSSL's Ed25519), independently of keyseat's code. Run from this folder:
python3 make_vector.py > vector.json"""

import base64
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

seed = bytes(range(32))  # a fixed, public test seed: never a real key
private = Ed25519PrivateKey.from_private_bytes(seed)
public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

body = b'{"meta":{"valid":true,"code":"VALID","detail":"is valid","nonce":42}}'
digest = "sha-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
date = "Wed, 02 Dec 2026 10:00:00 GMT"
host = "api.keygen.sh"
target = "/v1/accounts/demo/licenses/actions/validate-key"
message = "\n".join([
    f"(request-target): post {target}",
    f"host: {host}",
    f"date: {date}",
    f"digest: {digest}",
])
signature = base64.b64encode(private.sign(message.encode())).decode()

print(json.dumps({
    "public_key": public.hex(),
    "method": "post",
    "host": host,
    "target": target,
    "date": date,
    "digest": digest,
    "body": body.decode(),
    "keygen_signature": (
        f'keyid="demo", algorithm="ed25519", signature="{signature}", '
        'headers="(request-target) host date digest"'
    ),
}, indent=2))
