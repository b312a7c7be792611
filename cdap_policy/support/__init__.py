"""Support: what every layer may use and that knows nothing of rules or findings: the two
languages (`i18n`), problems and the errors that carry them (`errors`), input made safe to print
(`textsafe`), the words for the codes the schema enumerates (`labels`), country codes
(`iso3166`), calendar months (`dates`), the date, date-time and SIRET formats (`formats`), the
private disk cache (`diskcache`) and atomic writes that never destroy an input (`output`).

The lowest layer: it imports nothing else of the package.
"""
