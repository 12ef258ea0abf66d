"""The outside world of a command: streams, terminal, clock, questions, output formats, progress."""
