"""Read what partners already keep (a staff list in a spreadsheet) into the snapshot.

`sheets` reads a CSV or XLSX file into rows with their numbers; `users` turns rows into
snapshot users, reporting each row it cannot read; `merge` writes them into an existing
snapshot without disturbing the rest of the file.
"""
