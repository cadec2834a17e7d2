"""The engine: pure pandas/numpy. Imports neither xlwings nor openpyxl.

Data flows one way: readers produce a `Register` (or aggregates), the engine computes status
tables, writers put them in a workbook, CSV or the terminal.
"""
