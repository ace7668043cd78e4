from services.disputes.main import main

main()
