"""Running a site: the build pipeline, its schedule and rebuilds, statistics, a new site's files."""
