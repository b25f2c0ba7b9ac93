# One date and one date-and-time format for Japanese pages, e-mails and PDFs (stockdata.dates).
DATE_FORMAT = "Y年n月j日"  # 2026年12月7日
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "Y年n月j日 H:i"  # 2026年12月7日 13:05
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
