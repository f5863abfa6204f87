from feedsvc.cli import program

program()
