"""Paying the daemon: quotes, the consent/ceiling/dry-run rule, channel rules, claims, the journal, paying once."""
