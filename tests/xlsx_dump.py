#!/usr/bin/python3
"""Prints an xlsx workbook as JSON, read with openpyxl (an independent reader),
for tests/test_xlsx_writer.cpp:

{"sheets": [{"name": "Matches", "freeze": "A2", "autofilter": "A1:O5",
             "widths": [12.0, ...],          # per column A.. (null: default)
             "rows": [[{"v": "007", "t": "string", "bold": true,
                        "fill": "FFDDEBF7", "format": "General"}, ...], ...]}]}

t is "string", "number", "bool", "empty" or the Python type's name; fill is the
solid fill's colour or null.
Usage: xlsx_dump.py FILE.xlsx
"""
import json
import sys

import openpyxl
from openpyxl.utils import get_column_letter


def kind(v):
    if v is None:
        return "empty"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return type(v).__name__


def cell_json(c):
    fill = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type == "solid" else None
    return {"v": c.value, "t": kind(c.value), "bold": bool(c.font and c.font.b),
            "fill": fill if isinstance(fill, str) else None, "format": c.number_format}


def main():
    book = openpyxl.load_workbook(sys.argv[1])
    sheets = []
    for ws in book.worksheets:
        widths = []
        for col in range(1, ws.max_column + 1):
            letter = get_column_letter(col)
            dim = ws.column_dimensions.get(letter) if letter in ws.column_dimensions else None
            widths.append(dim.width if dim is not None and dim.customWidth else None)
        rows = [[cell_json(c) for c in row]
                for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)]
        sheets.append({"name": ws.title, "freeze": ws.freeze_panes,
                       "autofilter": ws.auto_filter.ref, "widths": widths, "rows": rows})
    json.dump({"sheets": sheets}, sys.stdout)


if __name__ == "__main__":
    main()
