"""Official feeds turned into alert items: parsing the publications (parse.py) and working
out which part of the city an item covers (area.py). No database, no network here: the
poller (scheduler/feeds.py) fetches and stores."""
