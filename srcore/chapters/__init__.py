"""What the book's chapters share: generic table, label, crop-view and verdict
helpers, every method's records side by side (:mod:`~srcore.chapters.all_methods`),
how far a long run has got (:mod:`~srcore.chapters.progress`), the claims and facts
each chapter stores for the last chapter and the front page, and every published
number with its source.

A chapter's own analysis (its tables, findings and claims) lives in its notebook;
the runs it asks for live in :mod:`srcore.runs`.
"""
