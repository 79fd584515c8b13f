"""Bearer JWTs from an external OpenID Provider: a real oidc-provider process, real tokens,
real JWKS over HTTP. Where the provider cannot be made to issue a bad token, the test signs
one itself with a key the provider publishes (or one it does not)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import tokens
from identity.models import Identity
from orders.models import Order
from tests.factories import CustomerFactory
from tests.support.oidc_provider import rsa_key

pytestmark = pytest.mark.django_db

INVALID_TOKEN_CHALLENGE = 'Bearer realm="api", error="invalid_token"'


def get_customers(client, token: str):
    return client.get("/api/customers/", HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_invalid_token(response) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE
    # Nothing that tells a forger which check failed.
    assert response.json() == {"detail": "Invalid access token."}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_provider_token_reads_customers(anonymous_client, external_provider):
    CustomerFactory(code="CUST007")
    token = external_provider.client_credentials_token()

    response = get_customers(anonymous_client, token)

    assert response.status_code == 200
    assert response.json()["results"][0]["code"] == "CUST007"


def test_provider_token_places_an_order_recorded_as_its_subject(
    anonymous_client, external_provider
):
    CustomerFactory(code="CUST007")
    token = external_provider.client_credentials_token()

    response = anonymous_client.post(
        "/api/orders/",
        {"customer_code": "CUST007", "item": "Paracetamol", "amount": 50, "physician_name": "dr"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 201
    identity = Identity.objects.get(issuer=external_provider.issuer, subject="api-full")
    assert Order.objects.get(pk=response.json()["id"]).created_by == identity.user


def test_same_subject_is_one_local_user(anonymous_client, external_provider):
    for _ in range(2):
        token = external_provider.client_credentials_token()
        assert get_customers(anonymous_client, token).status_code == 200

    assert Identity.objects.filter(issuer=external_provider.issuer).count() == 1


def test_token_without_the_needed_scope_is_forbidden(anonymous_client, external_provider):
    CustomerFactory(code="CUST007")
    token = external_provider.client_credentials_token(
        client_id="api-read-only", scope="customers:read orders:read"
    )

    response = anonymous_client.post(
        "/api/orders/",
        {"customer_code": "CUST007", "item": "Paracetamol", "amount": 50, "physician_name": "dr"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 403
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="orders:write"'
    )
    assert "orders:write" in response.json()["detail"]
    assert not Order.objects.exists()


def test_read_only_token_still_reads(anonymous_client, external_provider):
    token = external_provider.client_credentials_token(
        client_id="api-read-only", scope="customers:read orders:read"
    )
    assert (
        anonymous_client.get("/api/orders/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
        == 200
    )


def test_scopes_from_a_permissions_list_count(anonymous_client, external_provider, provider_keys):
    # Auth0 writes RBAC permissions as a list; `scp` lists (Okta, Azure AD) work the same way.
    token = provider_keys[0].sign(
        external_provider.claims(scope=None, permissions=["customers:read"])
    )
    assert get_customers(anonymous_client, token).status_code == 200
    assert (
        anonymous_client.get("/api/orders/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
        == 403
    )


def test_scopes_from_an_scp_list_count(anonymous_client, external_provider, provider_keys):
    token = provider_keys[0].sign(external_provider.claims(scope=None, scp=["customers:read"]))
    assert get_customers(anonymous_client, token).status_code == 200


def test_es256_token_from_a_published_key_is_accepted(
    anonymous_client, external_provider, provider_keys
):
    es_key = next(key for key in provider_keys if key.alg == "ES256")
    assert (
        get_customers(anonymous_client, es_key.sign(external_provider.claims())).status_code == 200
    )


def test_ps256_token_from_a_published_key_is_accepted(
    anonymous_client, external_provider, provider_keys
):
    ps_key = next(key for key in provider_keys if key.alg == "PS256")
    assert (
        get_customers(anonymous_client, ps_key.sign(external_provider.claims())).status_code == 200
    )


def test_plain_jwt_type_is_accepted(anonymous_client, external_provider, provider_keys):
    token = provider_keys[0].sign(external_provider.claims(), typ="JWT")
    assert get_customers(anonymous_client, token).status_code == 200


def test_token_of_a_deactivated_user_is_rejected(anonymous_client, external_provider):
    token = external_provider.client_credentials_token()
    assert get_customers(anonymous_client, token).status_code == 200
    user = Identity.objects.get(issuer=external_provider.issuer, subject="api-full").user
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_invalid_token(get_customers(anonymous_client, token))


def test_a_user_deactivated_by_another_process_is_refused_once_remembered_time_is_up(
    anonymous_client, external_provider, settings, django_assert_num_queries
):
    """Each process remembers a checked token and a subject's user for OIDC_RECENT_SECONDS
    (5 s by default; 2 here): a deactivation saved elsewhere (here an UPDATE, which no signal
    of this process sees) counts within that time, and a remembered request costs no lookup."""
    settings.OIDC_RECENT_SECONDS = 2
    CustomerFactory()
    token = external_provider.client_credentials_token()
    assert get_customers(anonymous_client, token).status_code == 200
    remembered_until = time.monotonic() + 2
    user = Identity.objects.get(issuer=external_provider.issuer, subject="api-full").user
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    # Remembered: the list's own query (one page holds every customer), no user lookup.
    with django_assert_num_queries(1):
        response = get_customers(anonymous_client, token)
    if time.monotonic() < remembered_until:
        assert response.status_code == 200
    time.sleep(max(0.0, remembered_until - time.monotonic()) + 0.05)
    assert_invalid_token(get_customers(anonymous_client, token))


# --- Rejections: each with 401 invalid_token -------------------------------------------------


def test_no_token_gets_a_bare_bearer_challenge(anonymous_client, external_provider):
    response = anonymous_client.get("/api/customers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_bad_signature_is_rejected(anonymous_client, external_provider):
    header, payload, signature = external_provider.client_credentials_token().split(".")
    tampered = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert_invalid_token(get_customers(anonymous_client, f"{header}.{payload}.{tampered}"))


def test_changed_claims_break_the_signature(anonymous_client, external_provider):
    header, payload, signature = external_provider.client_credentials_token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    assert_invalid_token(get_customers(anonymous_client, forged))


def test_alg_none_is_rejected(anonymous_client, external_provider, provider_keys):
    header = {"alg": "none", "typ": "at+jwt", "kid": provider_keys[0].kid}
    token = (
        f"{b64url(json.dumps(header).encode())}."
        f"{b64url(json.dumps(external_provider.claims()).encode())}."
    )
    assert_invalid_token(get_customers(anonymous_client, token))


def test_hs256_signed_with_the_public_key_is_rejected(
    anonymous_client, external_provider, provider_keys
):
    # The classic confusion attack: the provider's public key, which anyone can fetch, used as
    # an HMAC secret.
    public_pem = (
        provider_keys[0]
        .private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "at+jwt", "kid": provider_keys[0].kid}
    signing_input = (
        f"{b64url(json.dumps(header).encode())}."
        f"{b64url(json.dumps(external_provider.claims()).encode())}"
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert_invalid_token(get_customers(anonymous_client, f"{signing_input}.{b64url(signature)}"))


def test_expired_token_is_rejected(anonymous_client, external_provider, provider_keys):
    now = int(time.time())
    claims = external_provider.claims(iat=now - 600, exp=now - 61)
    assert_invalid_token(get_customers(anonymous_client, provider_keys[0].sign(claims)))


def test_not_yet_valid_token_is_rejected(anonymous_client, external_provider, provider_keys):
    claims = external_provider.claims(nbf=int(time.time()) + 120)
    assert_invalid_token(get_customers(anonymous_client, provider_keys[0].sign(claims)))


def test_token_issued_in_the_future_is_rejected(anonymous_client, external_provider, provider_keys):
    now = int(time.time())
    claims = external_provider.claims(iat=now + 120, exp=now + 600)
    assert_invalid_token(get_customers(anonymous_client, provider_keys[0].sign(claims)))


def test_wrong_issuer_is_rejected(anonymous_client, external_provider, provider_keys):
    claims = external_provider.claims(iss="https://attacker.example")
    assert_invalid_token(get_customers(anonymous_client, provider_keys[0].sign(claims)))


def test_wrong_audience_is_rejected(anonymous_client, external_provider, provider_keys):
    claims = external_provider.claims(aud="https://another-api.example")
    assert_invalid_token(get_customers(anonymous_client, provider_keys[0].sign(claims)))


def test_missing_sub_is_rejected(anonymous_client, external_provider, provider_keys):
    claims = external_provider.claims(sub=None)
    assert_invalid_token(get_customers(anonymous_client, provider_keys[0].sign(claims)))


def test_token_signed_by_an_unpublished_key_is_rejected(anonymous_client, external_provider):
    stranger = rsa_key(kid="rs-1")  # the published key's id, a different key
    assert_invalid_token(get_customers(anonymous_client, stranger.sign(external_provider.claims())))


def test_garbage_is_rejected(anonymous_client, external_provider):
    assert_invalid_token(get_customers(anonymous_client, "this-is-not-a-jwt"))


def test_empty_bearer_is_rejected(anonymous_client, external_provider):
    response = anonymous_client.get("/api/customers/", HTTP_AUTHORIZATION="Bearer ")
    assert_invalid_token(response)


def test_an_id_token_is_not_an_access_token(anonymous_client, external_provider, provider_keys):
    # Same issuer and keys, but issued to a client, not to this API.
    claims = external_provider.claims(aud="browser", nonce="n")
    assert_invalid_token(get_customers(anonymous_client, provider_keys[0].sign(claims, typ="JWT")))


def signed_with_header(key, header_segment: str, claims: dict) -> str:
    """A token whose header segment is exactly `header_segment`, correctly signed by `key`:
    only the header is wrong."""
    signing_input = f"{header_segment}.{b64url(json.dumps(claims).encode())}"
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": ["RS256"], "typ": "at+jwt"},  # a header value of another JSON type
        {"alg": {"RS256": 1}, "typ": "at+jwt"},
        {"alg": 256, "typ": "at+jwt"},
        {"alg": None, "typ": "at+jwt"},
        {"alg": "RS256", "typ": ["at+jwt"]},
        {"alg": "RS256", "typ": {"at+jwt": 1}},
        {"alg": "RS256", "typ": "at+jwt", "kid": ["rs-1"]},
        {"alg": "RS256", "typ": "at+jwt", "kid": 1},
        ["RS256"],  # a header that is no JSON object
        "RS256",
        1,
        None,
    ],
    ids=repr,
)
def test_a_header_of_the_wrong_shape_is_an_invalid_token(
    anonymous_client, external_provider, provider_keys, header
):
    if isinstance(header, dict) and "kid" not in header:
        header = {**header, "kid": provider_keys[0].kid}
    segment = b64url(json.dumps(header).encode())
    token = signed_with_header(provider_keys[0], segment, external_provider.claims())
    assert_invalid_token(get_customers(anonymous_client, token))


@pytest.mark.parametrize(
    "segment",
    [
        b64url(b"[" * 5000),  # nested past Python's recursion limit
        b64url(b"\xff\xfe{}"),  # not UTF-8
        b64url(b'{"alg": "RS256"'),  # not JSON
        "eyJhbGciOiJSUzI1NiJ9!!",  # characters outside base64url
        "eyJhbGciOiJSUzI1NiJ9=====",  # too much padding
        "",
    ],
    ids=["deeply nested", "not UTF-8", "not JSON", "outside the alphabet", "padding", "empty"],
)
def test_a_header_that_is_no_json_object_is_an_invalid_token(
    anonymous_client, external_provider, provider_keys, segment
):
    token = signed_with_header(provider_keys[0], segment, external_provider.claims())
    assert_invalid_token(get_customers(anonymous_client, token))


def test_a_header_with_characters_outside_base64url_is_refused_though_it_decodes(
    anonymous_client, external_provider, provider_keys
):
    # Lenient base64 drops the "!": the header reads as a good one, and only the strict
    # reading of the whole token, with the signature, refuses it.
    header = {"alg": "RS256", "typ": "at+jwt", "kid": provider_keys[0].kid}
    segment = b64url(json.dumps(header).encode())
    token = signed_with_header(
        provider_keys[0], segment[:4] + "!" + segment[4:], external_provider.claims()
    )
    assert_invalid_token(get_customers(anonymous_client, token))


def pyjwt_reading(segment: bytes) -> bytes | None:
    try:
        return jwt.PyJWS._decode_base64url_segment(segment, "header")
    except jwt.DecodeError:
        return None


def our_reading(segment: bytes) -> bytes | None:
    try:
        return tokens._JWS._decode_base64url_segment(segment, "header")
    except jwt.DecodeError:
        return None


SEGMENTS = [
    b"",
    b"e",
    b"eyJhbGciOiJSUzI1NiJ9",
    b"eyJhbGciOiJSUzI1NiJ9=",
    b"eyJhbGciOiJSUzI1NiJ9==",
    b"eyJhbGciOiJSUzI1NiJ9===",
    b"eyJhbGciOiJSUzI1NiJ",
    b"eyJhbGciOiJSUzI1NiJ=",
    b"eyJhbGciOiJSUzI1NiJ9!!",
    b"eyJhbGciOiJSUzI1NiJ9\n",
    b"eyJh bGciOiJSUzI1NiJ9",
    b"eyJhbGciOiJSUzI1NiJ9+/",
    b"eyJhbGciOiJSUzI1NiJ9\xff",
    b"QQ",  # canonical: "A"
    b"QR",  # decodes to "A" too, but is not how "A" is written
    b"QQ==",
    b"QR==",
    b"=",
    b"====",
    b"Q=Q=",
]


@pytest.mark.parametrize("segment", SEGMENTS, ids=repr)
def test_our_segment_reading_refuses_and_decodes_what_pyjwt_does(segment):
    assert our_reading(segment) == pyjwt_reading(segment)


@settings(derandomize=True, database=None, max_examples=500, deadline=None)
@given(st.binary(max_size=24) | st.text("AQRZaz09-_+/=!. ", max_size=24).map(str.encode))
def test_any_segment_is_read_as_pyjwt_reads_it(segment):
    assert our_reading(segment) == pyjwt_reading(segment)


def test_the_token_check_reads_segments_our_way():
    # PyJWT keeps its PyJWS in `_jws`: if that changes, our reading would silently not run.
    assert "_jws" in vars(jwt.PyJWT())
    assert isinstance(tokens._jwt._jws, tokens._JWS)
