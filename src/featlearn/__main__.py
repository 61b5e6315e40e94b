from featlearn.cli.main import main

main()
