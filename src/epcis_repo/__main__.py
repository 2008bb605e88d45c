from epcis_repo.cli import main

main()
