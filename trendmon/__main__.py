from trendmon.cli import main

main()
