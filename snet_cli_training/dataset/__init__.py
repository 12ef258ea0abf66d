"""Datasets: archives and folders read as entries, method requirements as a JSON Schema, the check and its report.

Modules, from the bottom up: entries, compression, zip_reader, tar_reader, formats, folder,
packing (a dataset made ready to check and send); requirements, violations, rules, check.
"""
