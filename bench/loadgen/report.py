"""The report as a table for people (`chat_load.py` without `--json`)."""

from __future__ import annotations

from typing import Any


def print_server(s: dict[str, Any]) -> None:
    q = s["ms_per_question"]
    parts = [
        ("receive (store message)", "receive"),
        ("kb.search", "search"),
        ("  encode_one (queue + model)", "encode_one"),
        ("bot state read", "bot_state"),
        ("send (store + deliver reply)", "send"),
        ("handoff (ticket)", "handoff"),
    ]
    print("    server time per question (ms, wall time summed over concurrent questions ÷ questions):")
    print("      " + "; ".join(f"{label} {q[key]:.2f}" for label, key in parts if key in q))
    lanes = ", ".join(f"{b:.0%} in {c} calls" for b, c in zip(s["lane_busy"], s["lane_calls"], strict=True))
    print(
        f"    encode: {s['encode_calls']} calls, mean batch {s['mean_batch']} (max {s['max_batch']}), "
        f"encoder busy {s['encoder_busy']:.0%} of the window (per worker: {lanes}); model "
        f"{q.get('model', 0):.2f} ms per question"
    )
    lag = s["loop_lag_ms"]
    gcs = s["gc_pauses"].items()
    pauses = ", ".join(f"{v['count']}× gen {g[-1]} (max {v['max_ms']:.1f} ms)" for g, v in gcs)
    print(
        f"    event loop lag (10 ms timer): p50 {lag['p50']:.1f} ms, p99 {lag['p99']:.1f} ms, "
        f"max {lag['max']:.1f} ms; garbage collector pauses {pauses}"
    )
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in s["cpu_ms_per_question"].items())
    print(f"    server CPU ms per question: {cpu}")
    print(
        "    cores in the window: "
        + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in s["machine_cores"].items())
    )


def print_table(r: dict[str, Any]) -> None:
    m, st, kb, raw = r["machine"], r["settings"], r["kb"], r["raw_encode"]
    t, lat = r["throughput"], r["latency"]
    print("Kundresa web chat load benchmark")
    print(
        f"  machine   {m['usable_cores']} usable cores of {m['cores']} ({m['cpu']}), torch {m['torch']} "
        f"with {m['torch_threads']} threads, Python {m['python']}"
    )
    print(
        f"            load average (1 min) {m['loadavg_1min_before']} before, {m['loadavg_1min_after']} after"
    )
    print(
        f"  settings  model {st['model']} ({st['dtype']}) in {st['processes']} worker {st['worker']}(es), "
        f"batch size "
        f"{st['batch_size']}, batch tokens {st['batch_tokens']}, batch window "
        f"{st['batch_window_ms']} ms, {st['messages_per_minute']} messages/min per socket, new visitor "
        f"every {st['per_visitor']} questions or after a handoff; {st['database']}; "
        f"{st['server_torch_threads']} torch threads and a {st['gil_switch_interval_ms']:g} ms GIL switch "
        f"interval in the phases; {'unpadded' if st['packed'] else 'padded'} forward passes"
    )
    print(
        f"  kb        {kb['articles']} BANKING77 articles, {kb['example_questions']} example questions, "
        f"imported in {kb['import_seconds']:.1f} s (server start {kb['server_startup_seconds']:.1f} s); "
        f"{kb['test_questions']} test questions, seed {kb['seed']}"
    )
    print(
        f"  raw encode  SentenceTransformer.encode {raw['questions_per_s']:.0f} questions/s "
        f"({raw['questions']} questions in lists of {raw['list_size']}, batch size {raw['batch_size']}, "
        f"{raw['seconds']:.1f} s); Kundresa's own batch path (batch_tokens {raw['batch_tokens']}) "
        f"{raw['kundresa_questions_per_s']:.0f}/s"
    )
    print()
    print(
        f"  Phase 1 throughput: {t['customers']} customers back to back, {t['window_s']:.1f} s after "
        f"{t['warmup_s']:.0f} s warm-up, {t['visitors']} visitors"
    )
    lat1 = t["send_to_reply_ms"]
    print(
        f"    {t['answers_per_s']:.1f} replies/s = {t['ratio']:.2f} × raw encode rate "
        f"({t['raw_encode_per_s']:.0f}/s) = {t['ratio_to_kundresa_batches']:.2f} × Kundresa's own batch rate "
        f"({t['raw_kundresa_batches_per_s']:.0f}/s); send→reply p50 {lat1['p50']:.1f} ms, "
        f"p99 {lat1['p99']:.1f} ms"
    )
    print(f"    decisions {', '.join(f'{k} {v}' for k, v in t['decisions'].items())}")
    print_server(t["server"])
    print()
    print(
        f"  Phase 2 latency: {lat['customers']} customers × {lat['per_customer_rate']:g} question/s at "
        f"random offsets, {lat['window_s']:.1f} s after {lat['warmup_s']:.0f} s warm-up, "
        f"{lat['visitors']} visitors"
    )
    print(
        f"    offered {lat['offered_per_s']:.1f}/s, achieved {lat['achieved_per_s']:.1f} replies/s; "
        f"decisions {', '.join(f'{k} {v}' for k, v in lat['decisions'].items())}"
    )
    print(f"    {'ms':<28}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}{'mean':>8}")
    for label, key in (
        ("send → reply", "send_to_reply_ms"),
        ("  send → ack", "send_to_ack_ms"),
        ("  ack → reply", "ack_to_reply_ms"),
    ):
        s = lat[key]
        cells = "".join(f"{s[k]:>8.1f}" for k in ("p50", "p90", "p99", "max", "mean"))
        print(f"    {label:<28}{cells}")
    print_server(lat["server"])
    print()
    note = "" if r["target"]["same_core_count"] else f" (measured on {m['usable_cores']} cores, not 2)"
    busy = m["loadavg_1min_before"] or 0
    if busy > 0.5 * m["usable_cores"]:
        note += f"; the machine was busy (load {busy}), so the figures are pessimistic"
    verdict = "PASS" if t["pass"] else "FAIL"
    print(
        f"  target throughput ≥ {t['target_ratio']:.1f} × raw encode rate on 2 cores: {verdict}, "
        f"{t['ratio']:.2f}{note}"
    )
    verdict = "PASS" if lat["pass"] else "FAIL"
    s = lat["send_to_reply_ms"]
    print(
        f"  target p50 ≤ {lat['target_p50_x']:.0f} ×, p99 ≤ {lat['target_p99_x']:.0f} × one raw "
        f"single-question encode ({lat['raw_single_encode_ms']:.1f} ms) at {lat['offered_per_s']:.0f}/s "
        f"on 2 cores: {verdict}, p50 {s['p50']:.1f} ms = {lat['p50_x_single']:.2f} ×, "
        f"p99 {s['p99']:.1f} ms = {lat['p99_x_single']:.2f} ×"
    )
