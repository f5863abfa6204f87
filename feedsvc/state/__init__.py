"""The state database: every table and every SQL statement feedsvc runs, by job."""
