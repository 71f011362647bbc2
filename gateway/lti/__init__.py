"""LTI 1.3 glue: Harbormaster as a tool that LMSs launch (pylti1p3 on FastAPI), its keys and
platform registrations, and the LTI Advantage services it calls back (Deep Linking, NRPS,
AGS)."""
