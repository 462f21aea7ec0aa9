"""A short soak (issue #10.5/6) in the normal suite: the full one is `scripts/soak` (10 minutes).

Load with streams, plain answers, 429s and fallbacks, a SIGHUP halfway and a SIGTERM under
load at the end; every request is accounted for on every side (see soak.py for the checks).
"""

from __future__ import annotations

import soak


def test_a_short_soak_answers_every_request_once_and_loses_nothing(tmp_path):
    report = soak.run(30, tmp_path, workers=8)
    assert report.problems == [], "\n".join(report.problems[:20]) + "\n" + report.summary()
    # The run did what it says: every kind of request, 429s among them, and a shutdown under
    # load that both answered and refused requests.
    assert set(report.by_kind) == {"chat", "chat-fb", "tight", "ledger", "new-alias"}, report.by_kind
    assert report.by_status.get("429", 0) > 0
    assert report.shutdown["answered"] > 0 and report.shutdown["exit_code"] == 0
    assert report.access_lines == report.outcomes + 2 + report.shutdown["answered"]
