"""The validator the FHIR tests rely on rejects what is not valid R4."""

from __future__ import annotations

import copy

import pytest
from fhirclient.models.fhirabstractbase import FHIRValidationError

from tests.fhir.validation import validate

PATIENT = {
    "resourceType": "Patient",
    "id": "CUST.1",
    "meta": {"versionId": "1", "lastUpdated": "2026-05-01T07:30:15Z"},
    "name": [{"text": "Wanjiru Kamau"}],
    "telecom": [{"system": "phone", "value": "+254712345678", "use": "mobile"}],
}


def broken(change) -> dict:
    resource = copy.deepcopy(PATIENT)
    change(resource)
    return resource


def test_a_valid_patient_passes():
    validate(PATIENT)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda r: r.update(nickname="Wanji"), id="unknown element"),
        pytest.param(lambda r: r.update(name={"text": "x"}), id="object for an array"),
        pytest.param(lambda r: r["meta"].update(lastUpdated="2026-05-01"), id="date for instant"),
        pytest.param(lambda r: r.update(id="CUST_1"), id="underscore in id"),
        pytest.param(lambda r: r["telecom"][0].update(use="cell"), id="code outside value set"),
        pytest.param(lambda r: r["telecom"][0].pop("system"), id="cpt-2"),
        pytest.param(lambda r: r["name"][0].update(text=""), id="empty string"),
        pytest.param(lambda r: r["name"][0].update(text="a\x01b"), id="control character"),
        pytest.param(lambda r: r.update(identifier=[]), id="empty array"),
    ],
)
def test_invalid_patients_fail(change):
    with pytest.raises((AssertionError, FHIRValidationError)):
        validate(broken(change))
