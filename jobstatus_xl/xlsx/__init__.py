"""The Excel package, part by part: what the headless refresh reads and writes without Excel.

- `package`:  the zip and its parts -- sheet names to part names through workbook.xml and its
              rels, content types, relationships, and a writer that copies every entry it is not
              told to replace as raw (still compressed) bytes, in the original order.
- `reader`:   the input sheets' values, streamed; no other sheet is parsed or sized.
- `sheetxml`: an owned sheet's XML written from its `SheetGrid` (inline strings, formulas with
              their cached values) and the cell styles it needs, appended to styles.xml.
- `style`:    the house look of our sheets, one definition for both writers (openpyxl for the
              template builder, `sheetxml` for the refresh).
- `owned`:    the owned sheets' parts replaced, shared parts changed minimally (documented there).
- `openpyxl_output`: openpyxl's save mended (ribbon, cached values); only `fill_input_tables` saves
              through openpyxl now (the demo workbook, tests).
- `verify`:   the proof before the rename: every part outside the owned set byte for byte as read.
- `atomic`:   the file: lost-update check, Excel's owner file, symlinks, read-only files,
              signals, a temporary file and a rename, OS errors in Danish.
"""
