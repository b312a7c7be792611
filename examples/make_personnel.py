"""Write the example staff list of a 4-worker CCAS, as XLSX and as its CSV twin.

    python examples/make_personnel.py

Fictitious people. French headers and cell values as a CCAS keeps them (« DEASS », « CDD »,
dates day first); one worker without a state diploma, so that the pre-signature check of
`cdap-policy import-users examples/ccas-personnel.xlsx --into …` has something to say.
"""
from __future__ import annotations

import csv
import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADERS = ["Nom", "Prénom", "Courriel", "Fonction", "Profil", "Diplôme", "Date du diplôme", "Type de contrat", "Fin de contrat"]
ROWS = [
    ["Arnoux", "Camille", "camille.arnoux@ccas-pont-guerin.example", "Assistante de service social", "T1", "DEASS",
     datetime.date(2011, 6, 30), "Titulaire", None],
    ["Le Floch", "Erwan", "erwan.lefloch@ccas-pont-guerin.example", "Conseiller en économie sociale et familiale", "T1", "DECESF",
     datetime.date(2015, 7, 2), "CDI", None],
    ["Oukili", "Sabrina", "sabrina.oukili@ccas-pont-guerin.example", "Éducatrice spécialisée", "T1", "DEES",
     datetime.date(2019, 6, 28), "CDD", datetime.date(2026, 12, 31)],
    ["Bérard", "Thomas", "thomas.berard@ccas-pont-guerin.example", "Agent d'accueil social", "T1", "Aucun",
     None, "Contractuel", None],
]


def main() -> None:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Personnel"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in ROWS:
        sheet.append(row)
    for column in ("G", "I"):
        for cell in sheet[column][1:]:
            cell.number_format = "DD/MM/YYYY"
    for column, width in zip("ABCDEFGHI", (12, 10, 40, 42, 7, 9, 15, 15, 14)):
        sheet.column_dimensions[column].width = width
    book.properties.creator = "cdap-policy"
    book.properties.created = book.properties.modified = datetime.datetime(2025, 6, 30)
    book.save(HERE / "ccas-personnel.xlsx")

    # the CSV as Excel's French export writes it: « ; » between cells, dates day first (UTF-8 with BOM)
    with open(HERE / "ccas-personnel.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        for row in ROWS:
            writer.writerow([v.strftime("%d/%m/%Y") if isinstance(v, datetime.date) else (v or "") for v in row])


if __name__ == "__main__":
    main()
