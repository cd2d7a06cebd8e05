Domain Name: google.do
WHOIS Server: whois.nic.do
Updated Date: 2019-02-07T17:54:31.560Z
Creation Date: 2010-03-08T04:00:00.0Z
Registry Expiry Date: 2020-03-08T04:00:00.0Z
Domain Status: ok https://icann.org/epp#ok
Registrar: Registrar NIC .DO (midominio.do)
Registrar Address: Av. R?mulo Betancourt 1108, La Julia   Apartado postal 2748, Santo Domingo
Registrar Country: DO
Registrar Phone: 8095350111
Registrar Fax: 8092860012
Registrar Customer Service Contact: info@nic.do
Registrar Customer Service Email: info@nic.do
Registrant ID: Redacted | EU Data Subject
Registrant Name: GOOGLE LLC
Registrant Organization: GOOGLE LLC
Registrant Street: Redacted | EU Data Subject
Registrant City: Redacted | EU Data Subject
Registrant State/Province: Redacted | EU Data Subject
Registrant Postal Code: Redacted | EU Data Subject
Registrant Country: Redacted | EU Data Subject
Registrant Phone: Redacted | EU Data Subject
Registrant Fax: Redacted | EU Data Subject
Registrant Email: Redacted | EU Data Subject
Admin ID: Redacted | EU Data Subject
Admin Name: Google LLC
Admin Organization: GOOGLE LLC
Admin Street: Redacted | EU Data Subject
Admin City: Redacted | EU Data Subject
Admin State/Province: Redacted | EU Data Subject
Admin Postal Code: Redacted | EU Data Subject
Admin Country: Redacted | EU Data Subject
Admin Phone: Redacted | EU Data Subject
Admin Fax: Redacted | EU Data Subject
Admin Email: Redacted | EU Data Subject
Billing ID: Redacted | EU Data Subject
Billing Name: MARKMONITOR
Billing Organization: MARKMONITOR
Billing Street: Redacted | EU Data Subject
Billing Street: Redacted | EU Data Subject
Billing City: Redacted | EU Data Subject
Billing State/Province: Redacted | EU Data Subject
Billing Postal Code: Redacted | EU Data Subject
Billing Country: Redacted | EU Data Subject
Billing Phone: Redacted | EU Data Subject
Billing Fax: Redacted | EU Data Subject
Billing Email: Redacted | EU Data Subject
Tech ID: Redacted | EU Data Subject
Tech Name: Google LLC
Tech Organization: Google LLC
Tech Street: Redacted | EU Data Subject
Tech City: Redacted | EU Data Subject
Tech State/Province: Redacted | EU Data Subject
Tech Postal Code: Redacted | EU Data Subject
Tech Country: Redacted | EU Data Subject
Tech Phone: Redacted | EU Data Subject
Tech Fax: Redacted | EU Data Subject
Tech Email: Redacted | EU Data Subject
Name Server: ns1.google.com
Name Server: ns2.google.com
DNSSEC: unsigned
>>> Last update of WHOIS database: 2019-04-16T13:27:25.387Z <<<

TERMS OF USE: You are not authorized to access or query our WHOIS database through the use of electronic processes that are high-volume and automated.  This WHOIS database is provided by as a service to the internet community.

The data is for information purposes only. We do not guarantee its accuracy. By submitting a WHOIS query, you agree to abide by the following terms of use: You agree that you may use this Data only for lawful purposes and that under no circumstances will you use this Data to: (1) allow, enable, or otherwise support the transmission of mass unsolicited, commercial advertising or solicitations via e-mail, telephone, or facsimile; or (2) enable high volume, automated, electronic processes that apply to NIC.DO. The compilation, repackaging, dissemination or other use of this Data is expressly prohibited.
