// Pact must never phone home: there is no network here, and users' CI should not leak either.
process.env['PACT_DO_NOT_TRACK'] = 'true';
process.env['SCARF_ANALYTICS'] = 'false';
