# One date and one date-and-time format for English pages, e-mails and PDFs (stockdata.dates).
DATE_FORMAT = "j M Y"  # 7 Dec 2026
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j M Y, H:i"  # 7 Dec 2026, 13:05
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
