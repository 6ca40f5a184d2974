"""Polar's official Python SDK (polar-sdk 1.0.2, API version 2026-10), unchanged, through
its customer-portal license-key calls against the emulator: every answer must load into the
SDK's own models, which refuse a missing required field.

Usage: python polar.py <emulator url> <key> <organization id> <benefit id>
"""

import sys

from polar.v2026_10.client import Polar
from polar.v2026_10.errors import NotPermitted, ResourceNotFound

url, key, organization, benefit = sys.argv[1:5]
# The SDK is made for servers and needs a token (it refuses an empty one); the license-key
# routes ignore who asks. A token of Polar's shape stands for the seller's own.
client = Polar(access_token="polar_oat_emulator", base_url=url)
keys = client.customer_portal.license_keys

activation = keys.activate(key=key, organization_id=organization, label="official SDK")
assert activation.license_key.benefit_id == benefit, activation
assert activation.license_key.status == "granted"
assert activation.license_key.member_id is None and activation.license_key.member is None

validated = keys.validate(key=key, organization_id=organization, activation_id=activation.id)
assert validated.activation is not None and validated.activation.id == activation.id
assert validated.customer.email == "customer@example.com", validated.customer
assert validated.member is None

# In upper case, the organization is the same one.
again = keys.validate(key=key, organization_id=organization.upper())
assert again.id == validated.id

keys.deactivate(key=key, organization_id=organization, activation_id=activation.id)
try:
    keys.deactivate(key=key, organization_id=organization, activation_id=activation.id)
    raise AssertionError("a second deactivation is not found")
except ResourceNotFound as e:
    assert e.status_code == 404 and e.error.error == "ResourceNotFound", e

try:
    keys.activate(key="NO-SUCH-KEY-000000000", organization_id=organization, label="x")
    raise AssertionError("an unknown key is not found")
except ResourceNotFound:
    pass
try:
    keys.activate(key=sys.argv[5], organization_id=organization, label="x")
    raise AssertionError("a key without activations is not permitted activations")
except NotPermitted as e:
    assert "does not support activations" in e.error.detail, e

print("polar-sdk: 7 license calls, every answer loaded into the SDK's models")
