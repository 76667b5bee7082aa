"""The pair workspace: a pair's home page, the getting-started checklist, the mentoring
agreement (communication norms the two members propose and accept as versions) and the
development plan (goals with milestones). What the pair writes is theirs alone; staff get
dates, counts and statuses from `services.pair_summary`. `nav.py` is the one navigation bar
of every page of a pair, `notices.py` the agreement's e-mails."""
