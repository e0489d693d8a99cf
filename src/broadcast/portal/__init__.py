"""The portal: each station's day on a phone, the as-run log, the department's dashboard and report."""
