"""Parity harness: replays recorded scenarios against the port and compares transcripts with goldens."""
