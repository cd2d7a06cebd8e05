%  *The information provided by WHOIS is supplied by NIC Costa Rica's database of registered domains. This option has the sole intention of showing information about the domains registered under the CR Top level domain for name assignation purposes. It is absolutely forbidden to collect, store, use or transmit any information displayed by WHOIS for commercial and advertising purposes without prior notice to the persons involved and to NIC Costa Rica. NIC Costa Rica does not guarantee the accuracy of the information displayed by this option. Since it is provided by the contacts, the accuracy is their responsibility. The National Academy of Sciences is not liable for the use of the information here revealed. The National Academy of Sciences undertakes to comply with the terms set forth in the Data Protection laws of the Republic of Costa Rica and therefore protects the data collected from NIC Costa Rica users, regardless of whether they are Costa Rican citizens or not. If you are a contact of a .cr domain name and wish to use the WHOIS Privacy service, select this option in "Edit account" once your login with your username and password, or access the following link:
% https://www.nic.cr/iniciar-sesion/?next=/my-account/
%
%
% *La información mostrada a través de la opción WHOIS es provista de la base de datos de los dominios registrados en NIC Costa Rica. Esta opción tiene el propósito exclusivo de mostrar información sobre los dominios registrados bajo el Dominio Superior .CR para los fines de la delegación de los nombs. Queda absolutamente prohibido compilar, almacenar, usar y/o trasmitir la información mostrada mediante la opción WHOIS para fines comerciales y publicitarios, sin la previa autorización de los afectados y de NIC Costa Rica. NIC Costa Rica no garantiza la exactitud de la información desplegada mediante esta opción, ya que ésta proviene de los contactos, y su veracidad es responsabilidad de estos últimos. La Academia Nacional de Ciencias no se responsabiliza por el uso que se le dé a la información aquí mostrada. La Academia Nacional de Ciencias se compromete a cumplir con los términos establecidos en las leyes de Protección de Datos de la República de Costa Rica y por lo tanto protege los datos recolectados de todos los usuarios de NIC Costa Rica que sean ciudadanos o no de la República de Costa Rica. Si un contacto de un dominio .cr desea hacer uso del servicio de Privacidad WHOIS puede escoger esta opción en "Editar cuenta" con su usuario y clave, o ingresar al siguiente link:
% https://www.nic.cr/iniciar-sesion/?next=/mi-cuenta/
%
% Whoisd Server Version: 3.10.2
% Timestamp: Tue Apr 16 06:51:27 2019
domain:       google.co.cr
registrant:   CON-66
admin-c:      CON-66
nsset:        GOOGLE_CO_CR
registrar:    NIC-REG1
status:       Deletion forbidden
status:       Sponsoring registrar change forbidden
status:       Update forbidden
status:       Administratively blocked
status:       Registrant change forbidden
registered:   18.04.2002 18:00:00
changed:      28.02.2017 06:39:42
expire:       17.04.2020
contact:      CON-66
org:          MarkMonitor Inc.
name:         MarkMonitor Inc
address:      3540 East Longwing Lane, Suite 300
address:      Meridian
address:      83646
address:      Idaho
address:      US
phone:        +1.2083895740
fax-no:       +1.2083895771
e-mail:       ccops@markmonitor.com
registrar:    NIC-REG1
created:      03.06.2011 16:22:36
changed:      28.03.2019 03:49:37
nsset:        GOOGLE_CO_CR
nserver:      ns1.google.com
nserver:      ns2.google.com
nserver:      ns3.google.com
nserver:      ns4.google.com
tech-c:       CON-66
registrar:    NIC-REG1
created:      03.06.2011 12:51:41
changed:      30.03.2016 10:37:14
