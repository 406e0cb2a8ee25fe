"""The pieces of the web chat load benchmarks (bench/chat_load.py, bench/handoff_mix.py): BANKING77 data,
simulated customers, how phases are driven and measured, probes on the server, and the report."""

__all__: list[str] = []
