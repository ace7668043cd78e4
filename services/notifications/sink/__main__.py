from services.notifications.sink.app import main

main()
