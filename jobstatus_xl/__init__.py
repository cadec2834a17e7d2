"""jobstatus_xl — the yearly status of Københavns Kommune's special job schemes.

One engine (`jobstatus_xl.engine`, pure pandas/numpy) with thin fronts on it: xlwings UDFs
(`jobstatus_xl.udfs`), RunPython/ribbon macros (`jobstatus_xl.macros`), a headless CLI
(`jobstatus_xl.cli`) and the template builder (`jobstatus_xl.template`).
"""

__version__ = "0.1.0"
