from services.appointments.main import main

main()
