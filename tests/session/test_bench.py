"""`genie-studio bench` end to end on the tiny test model (eager: tests do not compile)."""

import json

from genie_studio.cli import main


def test_bench_reports_the_issue_19_table(model_dir, capsys):
    assert main(["bench", "--model", str(model_dir), "--quick", "--frames", "6", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["compiled"] is False and "compile" not in res  # GENIE_STUDIO_COMPILE=0 in tests
    assert res["device"] == "cpu" and res["context_frames"] == 4
    d = res["default"]
    assert d["frames_per_s"] > 0 and 0 < d["p50_ms"] <= d["p95_ms"] and d["gflop_per_step"] > 0
    c = res["cached_vs_uncached"]
    assert c["speedup"] == round(c["uncached"]["p50_ms"] / c["cached"]["p50_ms"], 2)
    assert res["vs_1xgpt_estimate"] == round(c["uncached"]["p50_ms"] / 1.25 / d["p50_ms"], 2)
    assert set(res["batched_sessions"]) == {"1", "4"}
    assert all(b["ratio"] > 0 for b in res["batched_sessions"].values())
    assert set(res["decoders"]) == {"copy", "free"}  # both decoders, on the same weights, in one run
    assert all(r["frames_per_s"] > 0 and r["p50_ms"] <= r["p95_ms"] for r in res["decoders"].values())


def test_bench_text_output_and_bad_device(model_dir, capsys):
    assert main(["bench", "--model", str(model_dir), "--quick", "--frames", "4", "--no-compile"]) == 0
    out = capsys.readouterr().out
    assert "frames/s" in out and "vs 1xgpt" in out and "sessions: batched" in out and "decoder copy" in out
    assert main(["bench", "--model", str(model_dir), "--device", "cuda", "--quick"]) != 0 or \
        __import__("torch").cuda.is_available()
