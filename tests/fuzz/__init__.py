"""Hostile input never gets a 5xx, a non-Binance error body, or a state change.

* test_openapi.py      the served OpenAPI description is complete enough to fuzz from
* test_schemathesis.py schemathesis, in process, every operation (anonymous, then signed)
* test_raw_requests.py hypothesis raw query strings and bodies, correctly signed
* test_limits.py       request size limits, and one test per bug the fuzzers found
* test_slow_clients.py slowloris, stalled bodies and garbage against a real uvicorn
* test_known_bugs.py   bugs in modules changed elsewhere: strict xfail reproducers

The default run is bounded (about 30 s). A longer run:

    SANDEX_FUZZ_EXAMPLES=5000 HYPOTHESIS_PROFILE=dev pytest tests/fuzz/test_raw_requests.py
    SANDEX_FUZZ_EXAMPLES=200 HYPOTHESIS_PROFILE=dev pytest tests/fuzz/test_schemathesis.py

``SANDEX_FUZZ_EXAMPLES`` sets every fuzz test's example count (per operation for schemathesis,
whose signed pass takes twice that); ``HYPOTHESIS_PROFILE=dev`` drops the CI profile's fixed seed.
"""
