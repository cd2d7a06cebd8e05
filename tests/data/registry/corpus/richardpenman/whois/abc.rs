% The data in the Whois database are provided by RNIDS
% for information purposes only and to assist persons in obtaining
% information about or related to a domain name registration record.
% Data in the database are created by registrants and we do not guarantee
% their accuracy. We reserve the right to remove access
% for entities abusing the data, without notice.
% All timestamps are given in Serbian local time.
%
Domain name: abc.rs
Domain status: Active https://www.rnids.rs/en/domain-name-status-codes#Active
Registration date: 26.03.2008 16:18:03
Modification date: 11.02.2025 08:24:15
Expiration date: 26.03.2026 16:18:03
Confirmed: 26.03.2008 16:18:03
Registrar: Mainstream Public Cloud Services d.o.o.


Registrant: Roda grupa doo
Address: Bulevar Oslobodjenja 129, Beograd, Serbia
Postal Code: 11000
ID Number: 20886374
Tax ID: 107867472

Administrative contact: Individual

Technical contact: SERBIA BROADBAND - SRPSKE KABLOVSKE MREZE D.O.O.
Address: Bulevar Peka Dapcevica 19, Beograd, Serbia
Postal Code: 11000
ID Number: 17280554
Tax ID: 101038731


DNS: ns1.providus.rs - 164.132.48.70
DNS: ns2.providus.rs - 104.199.179.254
DNS: ns3.providus.rs - 52.5.196.189


DNSSEC signed: no

Whois Timestamp: 07.11.2025 20:57:08
