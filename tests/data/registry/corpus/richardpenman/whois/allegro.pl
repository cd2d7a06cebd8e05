
DOMAIN NAME:           allegro.pl
registrant type:       organization
nameservers:           dns1.allegro.pl. [91.194.188.132]
                       dns2.allegro.pl. [91.207.14.244]
                       dns3.allegro.pl. [80.50.230.43]
                       dns4.allegro.pl. [213.180.138.53]
created:               1999.10.27 13:00:00
last modified:         2017.10.17 07:01:25
renewal date:          2018.10.26 15:00:00

option created:        2014.06.02 23:44:16
option expiration date:       2020.06.02 23:44:16

dnssec:                Unsigned

TECHNICAL CONTACT:
company: DNS Administrator
        Grupa Allegro Sp. z o.o.
street: ul. Grunwaldzka 182
city: 60-166 Poznan
location: PL
phone:  +48.616271220
fax:  +48.616271220
last modified: 2017.03.27


REGISTRAR:
Corporation Service Company
251 Little Falls Drive
Wilmington, Delaware 19808
United States
tel: +1.302.636.5400
fax: +1.302.636.5454
email: registryrelations@cscinfo.com

WHOIS database responses: http://www.dns.pl/english/opiskomunikatow_en.html

WHOIS displays data with a delay not exceeding 15 minutes in relation to the .pl Registry system
Registrant data available at http://dns.pl/cgi-bin/en_whois.pl