from deploy.rabbitmq import main

main()
