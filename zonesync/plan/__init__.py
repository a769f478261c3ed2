"""Plans: the desired zone checked as a whole, the diff against the live zone, the change thresholds,
the plan value and its saved, signed file.

Pure logic: imports the model, `zonesync.zonefile` and `zonesync.mail`; never the Cloudflare edge, the
run, verify, render or cli."""
