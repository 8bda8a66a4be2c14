"""intake's live /openapi.json against a schema-driven fuzzer (schemathesis): every answer
must be what the document says (status, content type, schema, headers), invalid input must
be refused, and nothing may answer 500.

`positive_data_acceptance` is left out on purpose: it expects every schema-valid request
to succeed, while rules no JSON Schema can say (a service_code the catalog does not offer,
a date range over 90 days, west > east in a bbox) rightly answer 400.
"""
import shutil
import subprocess
import sys
from pathlib import Path

from support import TEST_ADMIN_TOKEN

FUZZ_TOKEN = "fuzz-token"


def test_the_live_document_holds_under_a_schema_driven_fuzzer(start_intake, service_config, tmp_path):
    # One token for every role, so the fuzzer gets past authentication everywhere.
    roles = ("STAFF_API_TOKENS", "DISPATCHER_API_TOKENS", "EMAIL_WEBHOOK_TOKENS")
    config = service_config("intake", **{name: f"fuzzer:{FUZZ_TOKEN}" for name in roles},
                            ADMIN_API_TOKENS=f"tests:{TEST_ADMIN_TOKEN},fuzzer:{FUZZ_TOKEN}")
    start_intake(config)
    st = shutil.which("st", path=str(Path(sys.executable).parent))

    run = subprocess.run(
        [st, "run", f"http://{config['WEB_SERVER_ADDRESS']}/openapi.json",
         "--checks", "all", "--exclude-checks", "positive_data_acceptance",
         "-H", f"Authorization: Bearer {FUZZ_TOKEN}", "--max-examples", "25", "--seed", "311",
         "--workers", "1", "--no-color", "--generation-database", "none",
         "--report", "junit", "--report-junit-path", str(tmp_path / "junit.xml")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)

    print(run.stdout[-1500:])
    assert run.returncode == 0, run.stdout[-8000:]
    assert "Server error" not in run.stdout
