from warden.cli.main import main

main()
