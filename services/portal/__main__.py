from services.portal.main import main

main()
