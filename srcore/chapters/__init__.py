"""What the book's chapters share: generic table, label, crop-view, verdict and
synthesis helpers, the claims each chapter stores for the synthesis, the
paper-budget queue's job list, and every published number with its source.

A chapter's own analysis (its tables, findings and claims) lives in its notebook;
the runs it asks for live in :mod:`srcore.runs`.
"""
