"""workbook_template.xlsm, built from text sources: the sheet layout (`jobstatus_xl.sheets`), VBA
modules (`vba/*.bas`, `vba/*.cls`, plus modules generated from `jobstatus_xl.udfs`) and the ribbon
(`ribbon/customUI14.xml`). `build.py` puts them together; `vba_project.py`/`cfb.py` write the VBA
project. Nothing here is imported by the engine, the UDFs or the macros.
"""
