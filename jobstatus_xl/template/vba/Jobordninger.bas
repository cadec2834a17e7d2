Attribute VB_Name = "Jobordninger"
' Callbacks of the ribbon tab "Jobordninger" (customUI/customUI14.xml). Each one is a single
' RunPython line: the work is done by jobstatus_xl.macros on this workbook (xlwings.Book.caller()).
' RunPython is xlwings' standalone module in this project; no add-in is needed.
Option Explicit

Public Sub OpdaterAlleTabeller(control As IRibbonControl)
    RunPython "import jobstatus_xl.macros as m; m.refresh_all()"
End Sub

Public Sub ValiderData(control As IRibbonControl)
    RunPython "import jobstatus_xl.macros as m; m.validate()"
End Sub

Public Sub IndlaesDemodata(control As IRibbonControl)
    RunPython "import jobstatus_xl.macros as m; m.fill_demo()"
End Sub

Public Sub EksporterNotat(control As IRibbonControl)
    RunPython "import jobstatus_xl.macros as m; m.export_note()"
End Sub
