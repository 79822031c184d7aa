"""The book's chapters: everything only one chapter needs.

One module per chapter (which runs it asks for, its tables, the data of its figures),
the generic table/label/crop-view helpers, and every published and report number with
its source. This is the only place that names a report; nothing outside
``srcore.chapters`` imports it.
"""
